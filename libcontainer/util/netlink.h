/* rtnetlink over a plain socket: build one request, send it, read its answer.
 * Enough for moving network devices (libcontainer/netdev.c); no library. */
#ifndef CAPSA_NETLINK_H
#define CAPSA_NETLINK_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/util/error.h"

struct nl_msg
{
  size_t len;
  union
  {
    struct nlmsghdr hdr;
    char buf[512];
  } u;
};

/* A NETLINK_ROUTE socket of the caller's network namespace (O_CLOEXEC, extended
 * acks on, so the kernel's reason comes with an error). */
int nl_open (struct error **err);

/* Start a request: header type/flags (NLM_F_REQUEST added) and the family header. */
void nl_msg_init (struct nl_msg *m, uint16_t type, uint16_t flags, const void *fam, size_t fam_len);
/* Append an attribute; -1 (EMSGSIZE in err) if the buffer is full. */
int nl_msg_attr (struct nl_msg *m, uint16_t type, const void *data, size_t len, struct error **err);
int nl_msg_attr_str (struct nl_msg *m, uint16_t type, const char *s, struct error **err);

/* Send a request that changes something and wait for its ack. `what` names the
 * operation in the error, which carries the errno and the kernel's message. */
int nl_call (int fd, struct nl_msg *m, const char *what, struct error **err);

/* Send a request and call fn for each answer message until the dump ends (or, for
 * a plain get, the single answer). fn returns <0 to stop with its own error. */
typedef int (*nl_answer_fn) (const struct nlmsghdr *h, void *arg, struct error **err);
int nl_query (int fd, struct nl_msg *m, nl_answer_fn fn, void *arg, const char *what,
              struct error **err);

/* The attribute `type` among those that follow a family header of fam_len bytes,
 * or NULL. */
const struct rtattr *nl_attr_get (const struct nlmsghdr *h, size_t fam_len, uint16_t type);

#endif
