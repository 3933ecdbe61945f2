/* recvtty: the receiving end of --console-socket for tests.
 *
 *   recvtty [-w TEXT] SOCKET_PATH
 *
 * Listens on SOCKET_PATH (the path appears only once it accepts connections),
 * takes one connection, receives the pty master sent with SCM_RIGHTS, writes
 * TEXT to it when -w is given ("\n" in TEXT is a newline), then copies everything
 * the pty outputs to stdout until the container side closes. Exit 0 on a clean
 * end, 1 on errors (message on stderr). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "libcontainer/terminal.h"

static int
fail (const char *what)
{
  fprintf (stderr, "recvtty: %s: %s\n", what, strerror (errno));
  return 1;
}

static void
unescape (char *s)
{
  char *o = s;
  for (; *s; s++)
    {
      if (s[0] == '\\' && s[1] == 'n')
        {
          *o++ = '\n';
          s++;
        }
      else
        *o++ = *s;
    }
  *o = '\0';
}

int
main (int argc, char **argv)
{
  char *text = NULL;
  int opt;
  while ((opt = getopt (argc, argv, "w:")) != -1)
    if (opt == 'w')
      text = optarg;
    else
      {
        fprintf (stderr, "usage: recvtty [-w TEXT] SOCKET_PATH\n");
        return 2;
      }
  if (optind != argc - 1)
    {
      fprintf (stderr, "usage: recvtty [-w TEXT] SOCKET_PATH\n");
      return 2;
    }
  const char *path = argv[optind];

  /* Bind a temporary name and rename it into place after listen(), so a
   * client that sees the path can connect. */
  char tmp[PATH_MAX];
  snprintf (tmp, sizeof tmp, "%s.tmp%d", path, (int) getpid ());
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen (tmp) >= sizeof addr.sun_path)
    {
      fprintf (stderr, "recvtty: socket path too long: %s\n", path);
      return 1;
    }
  strcpy (addr.sun_path, tmp);
  int l = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l < 0)
    return fail ("socket");
  unlink (tmp);
  if (bind (l, (struct sockaddr *) &addr, sizeof addr) < 0)
    return fail ("bind");
  if (listen (l, 1) < 0)
    return fail ("listen");
  if (rename (tmp, path) < 0)
    return fail ("rename socket into place");

  int conn = accept4 (l, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    return fail ("accept");
  struct error *err = NULL;
  int master = terminal_recv_fd (conn, &err);
  if (master < 0)
    {
      fprintf (stderr, "recvtty: %s\n", err->msg);
      return 1;
    }
  close (conn);
  close (l);
  unlink (path);

  if (text)
    {
      unescape (text);
      size_t len = strlen (text);
      if (write (master, text, len) != (ssize_t) len)
        return fail ("write to the pty");
    }

  char buf[4096];
  for (;;)
    {
      ssize_t n = read (master, buf, sizeof buf);
      if (n == 0 || (n < 0 && errno == EIO))
        break; /* all slave ends closed: the container is done */
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return fail ("read from the pty");
        }
      for (ssize_t off = 0; off < n;)
        {
          ssize_t w = write (STDOUT_FILENO, buf + off, n - off);
          if (w < 0)
            return fail ("write to stdout");
          off += w;
        }
    }
  return 0;
}
