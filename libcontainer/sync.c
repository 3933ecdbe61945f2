#define _GNU_SOURCE
#include "sync.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
sync_send (int sock, enum sync_type type, int32_t value, const char *payload, int fd,
           struct error **err)
{
  struct sync_msg m = { .type = type, .value = value };
  size_t plen = 0;
  if (payload)
    {
      plen = strnlen (payload, sizeof m.payload - 1);
      memcpy (m.payload, payload, plen);
    }
  struct iovec iov = { .iov_base = &m, .iov_len = offsetof (struct sync_msg, payload) + plen + 1 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (fd >= 0)
    {
      memset (&ctl, 0, sizeof ctl);
      mh.msg_control = ctl.buf;
      mh.msg_controllen = sizeof ctl.buf;
      struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &fd, sizeof (int));
    }
  ssize_t r;
  do
    r = sendmsg (sock, &mh, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return error_set (err, errno, "sync: send message %d", type);
  return 0;
}

static int
recv_one (int sock, struct sync_msg *m, int *fd, struct error **err)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = { .iov_base = m, .iov_len = sizeof *m };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                       .msg_controllen = sizeof ctl.buf };
  ssize_t r;
  if (fd)
    *fd = -1;
  memset (m, 0, offsetof (struct sync_msg, payload) + 1);
  /* A peer that exited leaving one of our messages unread makes the next
   * recvmsg report ECONNRESET once, ahead of what the peer had sent us before
   * (its SYNC_ERROR): read on to get that. */
  bool reset = false;
  do
    {
      r = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);
      if (r < 0 && errno == ECONNRESET && !reset)
        {
          reset = true;
          errno = EINTR;
        }
    }
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return error_set (err, errno, "sync: receive message");
  if (r == 0)
    return error_set (err, 0, "container init exited before it was ready");
  if (r < (ssize_t) offsetof (struct sync_msg, payload))
    return error_set (err, 0, "sync: short message");
  m->payload[sizeof m->payload - 1] = '\0';
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&mh); c; c = CMSG_NXTHDR (&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        int got;
        memcpy (&got, CMSG_DATA (c), sizeof got);
        if (fd)
          *fd = got;
        else
          close (got);
      }
  return 0;
}

int
sync_recv (int sock, struct sync_msg *m, int *fd, struct error **err)
{
  for (;;)
    {
      if (recv_one (sock, m, fd, err) < 0)
        return -1;
      if (m->type != SYNC_LOG)
        return 0;
      /* A child's log line (child_guard.c): it holds no log file of its own. */
      enum log_level lvl = m->value >= LOG_LVL_ERROR && m->value <= LOG_LVL_DEBUG
                               ? (enum log_level) m->value : LOG_LVL_WARN;
      log_msg (lvl, "%s", m->payload);
      if (fd && *fd >= 0)
        close (*fd);
    }
}

int
sync_error_from (const struct sync_msg *m, struct error **err)
{
  /* The child's message already ends with strerror: keep only its errno. */
  error_set (err, 0, "%s", m->payload);
  if (err && *err)
    (*err)->errnum = m->value;
  return -1;
}

int
sync_expect (int sock, enum sync_type want, struct sync_msg *m, int *fd, struct error **err)
{
  if (sync_recv (sock, m, fd, err) < 0)
    return -1;
  if (m->type == SYNC_ERROR)
    return sync_error_from (m, err);
  if (m->type != (uint32_t) want)
    return error_set (err, 0, "sync: unexpected message %u (wanted %d)", m->type, want);
  return 0;
}

void
sync_fail (int sock, struct error *err)
{
  sync_send (sock, SYNC_ERROR, err ? err->errnum : 0, err ? err->msg : "unknown error", -1, NULL);
  _exit (1);
}
