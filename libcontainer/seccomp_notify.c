/* Handing the seccomp notify fd to the agent at linux.seccomp.listenerPath, in the
 * shape runtime-spec runtime.md calls the container process state. */
#define _GNU_SOURCE
#include "seccomp_filter.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "spec/util/cleanup.h"
#include "spec/util/json.h"

static int
process_state_json (const struct spec_state *st, const char *metadata, char **out,
                    struct error **err)
{
  struct json_writer *w = json_writer_new (false);
  size_t len;
  if (w == NULL)
    return error_set (err, ENOMEM, "seccomp listener state");
  json_w_begin_object (w);
  json_w_key (w, "ociVersion");
  json_w_string (w, CAPSA_OCI_VERSION);
  json_w_key (w, "fds");
  json_w_begin_array (w);
  json_w_string (w, "seccompFd");
  json_w_end_array (w);
  json_w_key (w, "pid");
  json_w_int (w, st->pid);
  if (metadata != NULL)
    {
      json_w_key (w, "metadata");
      json_w_string (w, metadata);
    }
  json_w_key (w, "state");
  json_w_begin_object (w);
  json_w_key (w, "ociVersion");
  json_w_string (w, st->oci_version ? st->oci_version : CAPSA_OCI_VERSION);
  json_w_key (w, "id");
  json_w_string (w, st->id ? st->id : "");
  json_w_key (w, "status");
  json_w_string (w, st->status ? st->status : "creating");
  json_w_key (w, "pid");
  json_w_int (w, st->pid);
  json_w_key (w, "bundle");
  json_w_string (w, st->bundle ? st->bundle : "");
  if (st->annotations_len > 0)
    {
      json_w_key (w, "annotations");
      json_w_begin_object (w);
      for (size_t i = 0; i < st->annotations_len; i++)
        {
          json_w_key (w, st->annotations[i].key);
          json_w_string (w, st->annotations[i].value);
        }
      json_w_end_object (w);
    }
  json_w_end_object (w);
  json_w_end_object (w);
  if (json_writer_finish (w, out, &len) < 0)
    return error_set (err, ENOMEM, "seccomp listener state");
  return 0;
}

int
seccomp_send_listener (const char *listener_path, int notify_fd, const struct spec_state *st,
                       const char *metadata, struct error **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  _cleanup_free_ char *json = NULL;
  if (strlen (listener_path) >= sizeof addr.sun_path)
    return error_set (err, ENAMETOOLONG, "seccomp listener \"%s\"", listener_path);
  strcpy (addr.sun_path, listener_path);
  if (process_state_json (st, metadata, &json, err) < 0)
    return -1;

  _cleanup_close_ int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return error_set (err, errno, "socket for seccomp listener \"%s\"", listener_path);
  if (connect (sock, (struct sockaddr *) &addr, sizeof addr) < 0)
    return error_set (err, errno, "connect to seccomp listener \"%s\"", listener_path);

  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  memset (&control, 0, sizeof control);
  struct iovec iov = { .iov_base = json, .iov_len = strlen (json) };
  struct msghdr msg = {
    .msg_iov = &iov, .msg_iovlen = 1,
    .msg_control = control.buf, .msg_controllen = sizeof control.buf,
  };
  struct cmsghdr *cmsg = CMSG_FIRSTHDR (&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cmsg), &notify_fd, sizeof (int));

  /* One message: agents read the state with the fd attached in a single recvmsg. */
  ssize_t n;
  do
    n = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return error_set (err, errno, "send the seccomp fd to \"%s\"", listener_path);
  if ((size_t) n != iov.iov_len)
    return error_set (err, EIO, "short write of the container state to \"%s\"", listener_path);
  return 0;
}
