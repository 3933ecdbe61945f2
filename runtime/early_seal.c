/* The CVE-2019-5736 re-exec (libcontainer/exe_seal.c), done before the C library
 * starts.
 *
 * create, run and exec re-execute capsa from a read-only clone of its own
 * binary. Done from main(), that costs a whole second process start, and on a
 * virtual machine most of a start is glibc's own setup (each CPUID it issues
 * traps to the hypervisor: ~0.28 ms here, against 0.19 ms for a whole process
 * without libc). The static binary therefore enters here first: with raw
 * system calls only, it spots those commands and, when the binary is not
 * already read-only, executes the clone right away, so glibc starts only once.
 *
 * This is an optimisation only: anything unexpected returns to glibc's _start,
 * and main() still calls exe_seal_ensure(), which checks the result (or does
 * the re-exec itself, with its memfd fallback and its error messages).
 *
 * Rules for this file, which runs before relocation and before TLS exists:
 * no libc calls, no global pointers (they are not relocated yet), no stack
 * protector, no sanitizers (see CMakeLists.txt). */
#define _GNU_SOURCE
#if defined(__x86_64__)

#include <fcntl.h>
#include <linux/mount.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/vfs.h>

#include "exe_seal.h" /* macros only: EXE_SEAL_ENV, EXE_SEALS */

#define ST_RDONLY_FLAG 1 /* ST_RDONLY in statfs.f_flags */

void early_seal (long *sp) __attribute__ ((visibility ("hidden"), used));

/* The kernel enters with %rsp at argc and %rdx holding a finaliser for glibc's
 * _start (0 for static binaries; kept anyway). */
__asm__ (".text\n"
         ".globl capsa_early_entry\n"
         ".type capsa_early_entry,@function\n"
         "capsa_early_entry:\n"
         "  endbr64\n"
         "  mov %rsp, %rdi\n"
         "  push %rdx\n"
         "  sub $8, %rsp\n"
         "  call early_seal\n"
         "  add $8, %rsp\n"
         "  pop %rdx\n"
         "  jmp _start\n"
         ".size capsa_early_entry, .-capsa_early_entry\n");

static long
sys (long n, long a, long b, long c, long d, long e)
{
  long ret;
  register long r10 __asm__ ("r10") = d;
  register long r8 __asm__ ("r8") = e;
  __asm__ volatile ("syscall"
                    : "=a"(ret)
                    : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
                    : "rcx", "r11", "memory");
  return ret;
}

static int
equal (const char *a, const char *b)
{
  while (*a && *a == *b)
    a++, b++;
  return *a == *b;
}

static int
starts_with (const char *s, const char *prefix)
{
  while (*prefix && *s == *prefix)
    s++, prefix++;
  return *prefix == '\0';
}

/* The global flags that take a value as the next argument (main.c's table),
 * with one or two dashes, as urfave/cli accepts. */
static int
takes_value (const char *arg)
{
  const char *name = arg + 1;
  if (*name == '-')
    name++;
  return equal (name, "log") || equal (name, "log-format") || equal (name, "root")
         || equal (name, "criu") || equal (name, "rootless");
}

/* The command word: the first argument after the global flags. */
static const char *
command_of (long argc, char **argv)
{
  for (long i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      if (a[0] != '-')
        return a;
      /* main() prints and exits for these: nothing to seal. */
      if (equal (a, "-v") || equal (a, "--version") || equal (a, "-h") || equal (a, "--help")
          || equal (a, "-version") || equal (a, "-help"))
        return NULL;
      if (equal (a, "--"))
        return i + 1 < argc ? argv[i + 1] : NULL;
      const char *eq = a;
      while (*eq && *eq != '=')
        eq++;
      if (*eq == '\0' && takes_value (a))
        i++;
    }
  return NULL;
}

static int
already_unwritable (void)
{
  long fd = sys (SYS_open, (long) "/proc/self/exe", O_RDONLY | O_CLOEXEC, 0, 0, 0);
  if (fd < 0)
    return 1; /* cannot tell: leave it to exe_seal_ensure */
  long seals = sys (SYS_fcntl, fd, F_GET_SEALS, 0, 0, 0);
  struct statfs sfs;
  int ro = (seals >= 0 && (seals & EXE_SEALS) == EXE_SEALS)
           || (sys (SYS_fstatfs, fd, (long) &sfs, 0, 0, 0) == 0 && (sfs.f_flags & ST_RDONLY_FLAG));
  sys (SYS_close, fd, 0, 0, 0, 0);
  return ro;
}

void
early_seal (long *sp)
{
  long argc = sp[0];
  char **argv = (char **) (sp + 1);
  char **envp = argv + argc + 1;
  const char *cmd = command_of (argc, argv);
  if (cmd == NULL || !(equal (cmd, "create") || equal (cmd, "run") || equal (cmd, "exec")))
    return;
  size_t n = 0;
  for (; envp[n]; n++)
    if (starts_with (envp[n], EXE_SEAL_ENV "="))
      return; /* the re-executed image: main checks it */
  /* The new environment is copied on the stack: leave absurd ones to main(). */
  if (n > 4096 || already_unwritable ())
    return;

  long tree = sys (SYS_open_tree, AT_FDCWD, (long) "/proc/self/exe",
                   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC, 0, 0);
  if (tree < 0)
    return; /* no mount rights (rootless): main copies to a sealed memfd */
  struct mount_attr attr;
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  attr.attr_clr = 0;
  attr.propagation = 0;
  attr.userns_fd = 0;
  if (sys (SYS_mount_setattr, tree, (long) "", AT_EMPTY_PATH, (long) &attr, sizeof attr) == 0)
    {
      /* The same marker exe_seal_ensure sets, so the new image does not loop. */
      char *env[n + 2];
      for (size_t i = 0; i < n; i++)
        env[i] = envp[i];
      env[n] = (char *) EXE_SEAL_ENV "=1";
      env[n + 1] = NULL;
      sys (SYS_execveat, tree, (long) "", (long) argv, (long) env, AT_EMPTY_PATH);
    }
  sys (SYS_close, tree, 0, 0, 0, 0);
}

#endif
