/* Guest network setup for qemu's user-mode network (slirp's fixed plan:
 * guest 10.0.2.15/24, gateway 10.0.2.2, DNS 10.0.2.3). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vm_guest_net.h"

static int
if_up (int s, const char *name)
{
  struct ifreq r = { 0 };
  snprintf (r.ifr_name, sizeof r.ifr_name, "%s", name);
  if (ioctl (s, SIOCGIFFLAGS, &r) < 0)
    return -1;
  r.ifr_flags |= IFF_UP;
  return ioctl (s, SIOCSIFFLAGS, &r);
}

static void
set_addr (struct sockaddr *sa, const char *ip)
{
  struct sockaddr_in *in = (struct sockaddr_in *) sa;
  memset (in, 0, sizeof *in);
  in->sin_family = AF_INET;
  inet_pton (AF_INET, ip, &in->sin_addr);
}

int
vm_guest_net_up (void)
{
  int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return -1;
  if_up (s, "lo");
  if (if_nametoindex ("eth0") == 0)
    {
      close (s);
      return 0; /* network "none": no device */
    }
  struct ifreq r = { 0 };
  snprintf (r.ifr_name, sizeof r.ifr_name, "eth0");
  set_addr (&r.ifr_addr, "10.0.2.15");
  int ret = ioctl (s, SIOCSIFADDR, &r);
  set_addr (&r.ifr_netmask, "255.255.255.0");
  if (ret == 0)
    ret = ioctl (s, SIOCSIFNETMASK, &r);
  if (ret == 0)
    ret = if_up (s, "eth0");
  struct rtentry rt = { 0 };
  set_addr (&rt.rt_dst, "0.0.0.0");
  set_addr (&rt.rt_genmask, "0.0.0.0");
  set_addr (&rt.rt_gateway, "10.0.2.2");
  rt.rt_flags = RTF_UP | RTF_GATEWAY;
  if (ret == 0)
    ret = ioctl (s, SIOCADDRT, &rt);
  int e = errno;
  close (s);
  errno = e;
  return ret;
}
