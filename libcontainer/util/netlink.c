/* rtnetlink requests over a plain socket (see netlink.h). */
#define _GNU_SOURCE
#include "netlink.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

int
nl_open (struct error **err)
{
  int one = 1;
  int fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return error_set (err, errno, "open rtnetlink socket");
  /* Only nicer errors: a kernel without them still works. */
  (void) setsockopt (fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  (void) setsockopt (fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  return fd;
}

void
nl_msg_init (struct nl_msg *m, uint16_t type, uint16_t flags, const void *fam, size_t fam_len)
{
  memset (m, 0, sizeof *m);
  m->u.hdr.nlmsg_type = type;
  m->u.hdr.nlmsg_flags = NLM_F_REQUEST | flags;
  memcpy (m->u.buf + NLMSG_HDRLEN, fam, fam_len);
  m->len = NLMSG_LENGTH (fam_len);
  m->u.hdr.nlmsg_len = (uint32_t) m->len;
}

int
nl_msg_attr (struct nl_msg *m, uint16_t type, const void *data, size_t len, struct error **err)
{
  size_t at = NLMSG_ALIGN (m->len);
  if (at + RTA_SPACE (len) > sizeof m->u.buf)
    return error_set (err, EMSGSIZE, "netlink request: attribute %u", type);
  struct rtattr *a = (struct rtattr *) (m->u.buf + at);
  a->rta_type = type;
  a->rta_len = (unsigned short) RTA_LENGTH (len);
  memcpy (RTA_DATA (a), data, len);
  m->len = at + RTA_SPACE (len);
  m->u.hdr.nlmsg_len = (uint32_t) m->len;
  return 0;
}

int
nl_msg_attr_str (struct nl_msg *m, uint16_t type, const char *s, struct error **err)
{
  return nl_msg_attr (m, type, s, strlen (s) + 1, err);
}

const struct rtattr *
nl_attr_get (const struct nlmsghdr *h, size_t fam_len, uint16_t type)
{
  if (h->nlmsg_len < NLMSG_LENGTH (fam_len))
    return NULL;
  const struct rtattr *a = (const struct rtattr *) ((const char *) NLMSG_DATA (h)
                                                    + NLMSG_ALIGN (fam_len));
  int len = (int) (h->nlmsg_len - NLMSG_LENGTH (NLMSG_ALIGN (fam_len)));
  for (; RTA_OK (a, len); a = RTA_NEXT (a, len))
    if (a->rta_type == type)
      return a;
  return NULL;
}

/* The kernel's text for an error (NLMSGERR_ATTR_MSG), or NULL. */
static const char *
ext_ack_message (const struct nlmsghdr *h)
{
  const struct nlmsgerr *e = NLMSG_DATA (h);
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
    return NULL;
  size_t off = sizeof *e;
  if (!(h->nlmsg_flags & NLM_F_CAPPED))
    off += e->msg.nlmsg_len - NLMSG_HDRLEN;
  size_t payload = h->nlmsg_len - NLMSG_HDRLEN;
  if (off >= payload)
    return NULL;
  const struct rtattr *a = (const struct rtattr *) ((const char *) e + NLMSG_ALIGN (off));
  int len = (int) (payload - NLMSG_ALIGN (off));
  for (; RTA_OK (a, len); a = RTA_NEXT (a, len))
    if (a->rta_type == NLMSGERR_ATTR_MSG && RTA_PAYLOAD (a) > 1)
      {
        const char *s = RTA_DATA (a);
        return s[RTA_PAYLOAD (a) - 1] == '\0' ? s : NULL;
      }
  return NULL;
}

static int
nl_error (const struct nlmsghdr *h, const char *what, struct error **err)
{
  const struct nlmsgerr *e = NLMSG_DATA (h);
  const char *msg = ext_ack_message (h);
  if (msg)
    return error_set (err, -e->error, "%s (%s)", what, msg);
  return error_set (err, -e->error, "%s", what);
}

int
nl_query (int fd, struct nl_msg *m, nl_answer_fn fn, void *arg, const char *what,
          struct error **err)
{
  static uint32_t seq;
  /* Aligned for nlmsghdr; big enough for a page of dump (the kernel's default). */
  union
  {
    struct nlmsghdr h;
    char b[32768];
  } buf;
  m->u.hdr.nlmsg_seq = ++seq;
  if (send (fd, m->u.buf, m->len, 0) < 0)
    return error_set (err, errno, "%s: send netlink request", what);
  for (;;)
    {
      ssize_t n = recv (fd, buf.b, sizeof buf.b, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return error_set (err, errno, "%s: read netlink answer", what);
      if (n == 0)
        return error_set (err, EPROTO, "%s: netlink socket closed", what);
      int len = (int) n;
      for (const struct nlmsghdr *h = &buf.h; NLMSG_OK (h, len); h = NLMSG_NEXT (h, len))
        {
          if (h->nlmsg_seq != m->u.hdr.nlmsg_seq)
            continue; /* a late answer to an earlier request */
          if (h->nlmsg_type == NLMSG_DONE)
            return 0;
          if (h->nlmsg_type == NLMSG_ERROR)
            {
              const struct nlmsgerr *e = NLMSG_DATA (h);
              if (h->nlmsg_len < NLMSG_LENGTH (sizeof *e))
                return error_set (err, EPROTO, "%s: short netlink error", what);
              return e->error == 0 ? 0 : nl_error (h, what, err);
            }
          if (fn && fn (h, arg, err) < 0)
            return -1;
          if (!(h->nlmsg_flags & NLM_F_MULTI) && !(m->u.hdr.nlmsg_flags & NLM_F_ACK))
            return 0;
        }
    }
}

int
nl_call (int fd, struct nl_msg *m, const char *what, struct error **err)
{
  m->u.hdr.nlmsg_flags |= NLM_F_ACK;
  return nl_query (fd, m, NULL, NULL, what, err);
}
