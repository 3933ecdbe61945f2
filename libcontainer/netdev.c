/* linux.netDevices (see netdev.h). P moves the devices: it is in the host's
 * network namespace, knows the init's pid, and the init has not run anything of
 * the container yet. A second rtnetlink socket, opened while P stands for a
 * moment in the container's network namespace, sets addresses and state there:
 * no fd of the host ever reaches the init. If create fails after the move, the
 * devices go back to the host as they were (that socket keeps the namespace
 * alive even if the init has died).
 *
 * Deleting the container does not move them back: the spec says a runtime MUST
 * NOT (the namespace may belong to someone else, and a killed container gives
 * no chance anyway). When the namespace dies the kernel moves physical devices
 * to the initial namespace and destroys virtual ones (a veth with its peer). */
#define _GNU_SOURCE
#include "netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spec/util/cleanup.h"
#include "util/netlink.h"
#include "util/procfs.h"

struct netdev_addr
{
  struct ifaddrmsg ifa;
  unsigned char local[16], address[16], broadcast[16];
  uint8_t local_len, address_len, broadcast_len;
};

struct netdev_link
{
  int index;
  bool up;
  unsigned char mac[32];
  size_t mac_len;
};

/* One device on its way: what is needed to take it in, or back. */
struct netdev_move
{
  const char *host_name, *target;
  struct netdev_link host; /* as it was on the host */
  int ctr_index;           /* 0 until it is in the container */
  struct netdev_addr *addrs;
  size_t addrs_len;
};

static const char *
target_name (const struct spec_net_device *d)
{
  return d->name && d->name[0] ? d->name : d->host_name;
}

int
netdev_check (const struct spec_config *c, bool rootless, struct error **err)
{
  const struct spec_linux *l = c->linux_;
  if (l == NULL || l->net_devices_len == 0)
    return 0;
  /* Moving a device out of the host's namespace needs CAP_NET_ADMIN there. */
  if (rootless || geteuid () != 0)
    return error_set (err, EPERM, "config.json: linux.netDevices: moving host network "
                      "devices needs root (not supported for rootless containers)");
  for (size_t i = 0; i < l->net_devices_len; i++)
    if (if_nametoindex (l->net_devices[i].host_name) == 0)
      return error_set (err, errno, "config.json: linux.netDevices[\"%s\"]: no network device "
                        "\"%s\" on the host", l->net_devices[i].host_name,
                        l->net_devices[i].host_name);
  return 0;
}

static int
link_answer (const struct nlmsghdr *h, void *arg, struct error **err)
{
  struct netdev_link *out = arg;
  (void) err;
  if (h->nlmsg_type != RTM_NEWLINK)
    return 0;
  const struct ifinfomsg *ifi = NLMSG_DATA (h);
  out->index = ifi->ifi_index;
  out->up = (ifi->ifi_flags & IFF_UP) != 0;
  const struct rtattr *mac = nl_attr_get (h, sizeof *ifi, IFLA_ADDRESS);
  out->mac_len = 0;
  if (mac && RTA_PAYLOAD (mac) <= sizeof out->mac)
    {
      out->mac_len = RTA_PAYLOAD (mac);
      memcpy (out->mac, RTA_DATA (mac), out->mac_len);
    }
  return 0;
}

/* The link by name (index 0) or by index, in the socket's namespace. */
static int
link_get (int sock, const char *name, int index, struct netdev_link *out, struct error **err)
{
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index };
  struct nl_msg m;
  memset (out, 0, sizeof *out);
  nl_msg_init (&m, RTM_GETLINK, 0, &ifi, sizeof ifi);
  if (name && nl_msg_attr_str (&m, IFLA_IFNAME, name, err) < 0)
    return -1;
  if (nl_query (sock, &m, link_answer, out, "find network device", err) < 0)
    return -1;
  if (out->index <= 0)
    return error_set (err, ENODEV, "find network device");
  return 0;
}

static int
addr_answer (const struct nlmsghdr *h, void *arg, struct error **err)
{
  struct netdev_move *mv = arg;
  if (h->nlmsg_type != RTM_NEWADDR)
    return 0;
  const struct ifaddrmsg *ifa = NLMSG_DATA (h);
  if ((int) ifa->ifa_index != mv->host.index)
    return 0;
  uint32_t flags = ifa->ifa_flags;
  const struct rtattr *fl = nl_attr_get (h, sizeof *ifa, IFA_FLAGS);
  if (fl && RTA_PAYLOAD (fl) >= sizeof flags)
    memcpy (&flags, RTA_DATA (fl), sizeof flags);
  /* The spec's choice (RFC 3549): permanent addresses of global scope only; the
   * others were made by the kernel or a protocol for this place and time. */
  if (!(flags & IFA_F_PERMANENT) || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
    return 0;
  struct netdev_addr *grown = realloc (mv->addrs, (mv->addrs_len + 1) * sizeof *grown);
  if (grown == NULL)
    return error_set (err, ENOMEM, "save addresses of \"%s\"", mv->host_name);
  mv->addrs = grown;
  struct netdev_addr *a = &mv->addrs[mv->addrs_len++];
  memset (a, 0, sizeof *a);
  a->ifa = *ifa;
  static const uint16_t types[] = { IFA_LOCAL, IFA_ADDRESS, IFA_BROADCAST };
  unsigned char *bufs[] = { a->local, a->address, a->broadcast };
  uint8_t *lens[] = { &a->local_len, &a->address_len, &a->broadcast_len };
  for (size_t i = 0; i < 3; i++)
    {
      const struct rtattr *r = nl_attr_get (h, sizeof *ifa, types[i]);
      if (r && RTA_PAYLOAD (r) <= 16)
        {
          *lens[i] = (uint8_t) RTA_PAYLOAD (r);
          memcpy (bufs[i], RTA_DATA (r), RTA_PAYLOAD (r));
        }
    }
  return 0;
}

static int
addrs_save (int sock, struct netdev_move *mv, struct error **err)
{
  struct ifaddrmsg ifa = { .ifa_family = AF_UNSPEC, .ifa_index = (uint32_t) mv->host.index };
  struct nl_msg m;
  nl_msg_init (&m, RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof ifa);
  return nl_query (sock, &m, addr_answer, mv, "list addresses", err);
}

static int
addrs_add (int sock, const struct netdev_move *mv, int index, struct error **err)
{
  for (size_t i = 0; i < mv->addrs_len; i++)
    {
      const struct netdev_addr *a = &mv->addrs[i];
      struct ifaddrmsg ifa = a->ifa;
      struct nl_msg m;
      ifa.ifa_index = (uint32_t) index;
      ifa.ifa_flags = 0;
      nl_msg_init (&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
      if ((a->local_len && nl_msg_attr (&m, IFA_LOCAL, a->local, a->local_len, err) < 0)
          || (a->address_len && nl_msg_attr (&m, IFA_ADDRESS, a->address, a->address_len, err) < 0)
          || (a->broadcast_len
              && nl_msg_attr (&m, IFA_BROADCAST, a->broadcast, a->broadcast_len, err) < 0)
          || nl_call (sock, &m, "add address", err) < 0)
        return -1;
    }
  return 0;
}

static int
link_set_up (int sock, int index, struct error **err)
{
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index,
                           .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
  struct nl_msg m;
  nl_msg_init (&m, RTM_NEWLINK, 0, &ifi, sizeof ifi);
  return nl_call (sock, &m, "set link up", err);
}

/* Move and rename in one request (no moment under a clashing name). ns_attr is
 * IFLA_NET_NS_PID or IFLA_NET_NS_FD. */
static int
link_move (int sock, int index, const char *name, uint16_t ns_attr, uint32_t ns,
           struct error **err)
{
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index };
  struct nl_msg m;
  nl_msg_init (&m, RTM_NEWLINK, 0, &ifi, sizeof ifi);
  if (nl_msg_attr_str (&m, IFLA_IFNAME, name, err) < 0
      || nl_msg_attr (&m, ns_attr, &ns, sizeof ns, err) < 0)
    return -1;
  return nl_call (sock, &m, "move network device", err);
}

/* Where the device landed: by name, or for a "%d" template (the kernel chose the
 * name) by its index, which a move keeps unless taken, checked by its address. */
static int
find_moved (int sock, const struct netdev_move *mv, struct error **err)
{
  struct netdev_link l;
  if (strchr (mv->target, '%') == NULL)
    return link_get (sock, mv->target, 0, &l, err) < 0 ? -1 : l.index;
  if (link_get (sock, NULL, mv->host.index, &l, err) < 0)
    return -1;
  if (l.mac_len != mv->host.mac_len || memcmp (l.mac, mv->host.mac, l.mac_len) != 0)
    return error_set (err, ENODEV, "find \"%s\" after its move", mv->host_name);
  return l.index;
}

/* A network namespace file of our procfs: a magic link, which procfs_open (no
 * symlinks) refuses to follow. */
static int
open_netns (const char *sub, struct error **err)
{
  int root = procfs_root (err);
  if (root < 0)
    return -1;
  int fd = openat (root, sub, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return error_set (err, errno, "open /proc/%s", sub);
  return fd;
}

/* A socket in the network namespace of pidfd/pid; P stands there only to open it. */
static int
open_socket_in (pid_t pid, int pidfd, int self_ns, struct error **err)
{
  _cleanup_close_ int target = -1;
  int nsfd = pidfd;
  if (pidfd < 0)
    {
      char sub[64];
      snprintf (sub, sizeof sub, "%d/ns/net", (int) pid);
      if ((target = open_netns (sub, err)) < 0)
        return -1;
      nsfd = target;
    }
  if (setns (nsfd, CLONE_NEWNET) < 0)
    return error_set (err, errno, "enter the container's network namespace");
  struct error *e = NULL;
  int sock = nl_open (&e);
  if (setns (self_ns, CLONE_NEWNET) < 0)
    {
      /* Never go on in the wrong namespace: the hooks would run there. */
      error_free (&e);
      if (sock >= 0)
        close (sock);
      return error_set (err, errno, "return to the host's network namespace");
    }
  if (sock < 0)
    return error_propagate (err, &e);
  return sock;
}

/* Take a moved device back to the host under its own name, as it was. Best effort:
 * what fails here dies with the namespace (virtual) or returns (physical). */
static void
move_back (int host_sock, int ctr_sock, int self_ns, const struct netdev_move *mv)
{
  struct error *e = NULL;
  struct netdev_link l;
  if (link_move (ctr_sock, mv->ctr_index, mv->host_name, IFLA_NET_NS_FD, (uint32_t) self_ns,
                 &e) < 0
      || link_get (host_sock, mv->host_name, 0, &l, &e) < 0
      || addrs_add (host_sock, mv, l.index, &e) < 0
      || (mv->host.up && link_set_up (host_sock, l.index, &e) < 0))
    log_debug ("netDevices: moving \"%s\" back: %s", mv->host_name, e ? e->msg : "?");
  error_free (&e);
}

static int
move_in_one (int host_sock, int ctr_sock, pid_t pid, struct netdev_move *mv,
             struct error **err)
{
  if (link_get (host_sock, mv->host_name, 0, &mv->host, err) < 0
      || addrs_save (host_sock, mv, err) < 0)
    return -1;
  /* The kernel drops the addresses and takes the link down on the way. */
  if (link_move (host_sock, mv->host.index, mv->target, IFLA_NET_NS_PID, (uint32_t) pid, err) < 0)
    {
      /* A failed rename may still have moved it: look there. */
      struct netdev_link l;
      struct error *e = NULL;
      if (link_get (host_sock, mv->host_name, 0, &l, &e) < 0
          && link_get (ctr_sock, mv->host_name, 0, &l, NULL) == 0)
        mv->ctr_index = l.index;
      error_free (&e);
      return -1;
    }
  int index = find_moved (ctr_sock, mv, err);
  if (index < 0)
    return -1;
  mv->ctr_index = index;
  /* The spec: addresses kept, and up, whatever it was on the host. */
  if (addrs_add (ctr_sock, mv, index, err) < 0 || link_set_up (ctr_sock, index, err) < 0)
    return -1;
  return 0;
}

struct netdev_session
{
  int self_ns, host_sock, ctr_sock;
  struct netdev_move *mv;
  size_t n, moved; /* mv[0..moved) are in the container */
};

void
netdev_session_free (struct netdev_session *s)
{
  if (s == NULL)
    return;
  for (size_t i = 0; i < s->n; i++)
    free (s->mv[i].addrs);
  free (s->mv);
  for (int *fd = &s->self_ns; fd <= &s->ctr_sock; fd++)
    if (*fd >= 0)
      close (*fd);
  free (s);
}

void
netdev_session_return (struct netdev_session *s)
{
  if (s == NULL)
    return;
  while (s->moved > 0)
    move_back (s->host_sock, s->ctr_sock, s->self_ns, &s->mv[--s->moved]);
}

int
netdev_move_in (const struct spec_config *c, pid_t pid, int pidfd, struct netdev_session **out,
                struct error **err)
{
  const struct spec_linux *l = c->linux_;
  *out = NULL;
  if (l == NULL || l->net_devices_len == 0)
    return 0;
  struct netdev_session *s = calloc (1, sizeof *s);
  if (s == NULL || (s->mv = calloc (l->net_devices_len, sizeof *s->mv)) == NULL)
    {
      free (s);
      return error_set (err, ENOMEM, "linux.netDevices");
    }
  s->n = l->net_devices_len;
  s->self_ns = s->host_sock = s->ctr_sock = -1;
  /* The socket in the container's namespace also keeps that namespace alive, so
   * the devices can still come back if the init dies before create is done. */
  if ((s->self_ns = open_netns ("thread-self/ns/net", err)) < 0
      || (s->host_sock = nl_open (err)) < 0
      || (s->ctr_sock = open_socket_in (pid, pidfd, s->self_ns, err)) < 0)
    goto fail;
  for (size_t i = 0; i < s->n; i++)
    {
      struct netdev_move *mv = &s->mv[i];
      mv->host_name = l->net_devices[i].host_name;
      mv->target = target_name (&l->net_devices[i]);
      if (move_in_one (s->host_sock, s->ctr_sock, pid, mv, err) < 0)
        {
          if (mv->target != mv->host_name)
            error_wrap (err, "linux.netDevices[\"%s\"]: as \"%s\"", mv->host_name, mv->target);
          else
            error_wrap (err, "linux.netDevices[\"%s\"]", mv->host_name);
          if (mv->ctr_index > 0)
            s->moved++; /* in the container, half set up: take it back too */
          goto fail;
        }
      s->moved++;
      log_debug ("netDevices: \"%s\" moved in as \"%s\" with %zu address(es)", mv->host_name,
                 mv->target, mv->addrs_len);
    }
  *out = s;
  return 0;
fail:
  netdev_session_return (s);
  netdev_session_free (s);
  return -1;
}
