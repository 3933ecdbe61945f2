/* linux.resources.devices: the rules (from structured bytes, written as the
 * JSON an update or config carries) go through the parser, then every form
 * capsa turns them into is checked against cg_dev_rules_allow, the reference
 * (last match wins, default deny):
 *  - the cgroup v2 eBPF program, run here in a small interpreter, decides
 *    every probe the same way, jumps only forward inside the program and ends
 *    at an exit;
 *  - systemd's DeviceAllow list is never narrower, and equal when "exact";
 *  - the v1 devices.allow/deny lines read back into the same rule.
 * Numbers: -1 (any), 0..4095/0..1048575 (valid) and beyond (must be refused).
 * Seeds: corpus/device_rules/ (structured bytes, see next_rule). */
#include <inttypes.h>
#include <linux/bpf.h>

#include "fuzz_common.h"
#include "libcontainer/cgroups/convert.h"
#include "libcontainer/cgroups/devices_bpf.h"
#include "spec/config.h"

#define MAX_RULES 12

struct rule_in
{
  bool allow;
  char type;       /* 0 = absent */
  int64_t major, minor;
  bool has_major, has_minor;
  char access[8];  /* "" = absent */
};

static int64_t
next_dev_number (struct fuzz_bytes *b, int64_t max)
{
  unsigned kind = (unsigned) fuzz_take (b, 1);
  switch (kind % 8)
    {
    case 0: return -1;
    case 1: return (int64_t) fuzz_take (b, 1) % 4;    /* the same few numbers often */
    case 2: return (int64_t) fuzz_take (b, 1);
    case 3: return max - (int64_t) (fuzz_take (b, 1) % 3);
    case 4: return max + 1 + (int64_t) fuzz_take (b, 1);
    case 5: return -2 - (int64_t) fuzz_take (b, 1);
    case 6: return (int64_t) fuzz_take (b, 8);
    default: return 136 + (int64_t) (fuzz_take (b, 1) % 2);
    }
}

static void
next_rule (struct fuzz_bytes *b, struct rule_in *r)
{
  unsigned f = (unsigned) fuzz_take (b, 1);
  r->allow = f & 1;
  static const char types[] = { 0, 'a', 'b', 'c', 'c', 'b', 'x', 'c' };
  r->type = types[(f >> 1) & 7];
  r->has_major = f & 16;
  r->has_minor = f & 32;
  r->major = r->has_major ? next_dev_number (b, SPEC_DEV_MAJOR_MAX) : -1;
  r->minor = r->has_minor ? next_dev_number (b, SPEC_DEV_MINOR_MAX) : -1;
  static const char *const acc[] = { "", "r", "w", "m", "rw", "rwm", "mr", "wm", "rrw", "q", "RW", "rwmx" };
  snprintf (r->access, sizeof r->access, "%s", acc[fuzz_take (b, 1) % (sizeof acc / sizeof acc[0])]);
}

static bool
rule_valid (const struct rule_in *r)
{
  if (r->type == 'x' || (r->has_major && (r->major < -1 || r->major > SPEC_DEV_MAJOR_MAX))
      || (r->has_minor && (r->minor < -1 || r->minor > SPEC_DEV_MINOR_MAX)))
    return false;
  for (const char *c = r->access; *c; c++)
    if (!strchr ("rwm", *c))
      return false;
  return true;
}

/* ---- a cgroup device program interpreter, for the instructions capsa emits ---- */

/* 1 allow, 0 deny; aborts on anything the generator should never produce.
 * Harness code: no coverage feedback (it would reward probe counts, not new
 * paths in capsa) and no ASan checks, which made it most of the time. */
__attribute__ ((no_sanitize ("coverage", "address"))) static int
bpf_run (const struct bpf_insn *prog, size_t len, uint32_t type, uint32_t access, uint32_t major,
         uint32_t minor)
{
  uint32_t ctx[3] = { (access << 16) | type, major, minor };
  uint64_t reg[11] = { 0 };
  for (size_t pc = 0; pc < len; pc++)
    {
      const struct bpf_insn *i = &prog[pc];
      uint64_t imm = (uint64_t) (int64_t) i->imm; /* sign-extended, as the kernel does */
      FUZZ_ASSERT (i->dst_reg <= 10 && i->src_reg <= 10);
      switch (i->code)
        {
        case BPF_LDX | BPF_W | BPF_MEM:
          FUZZ_ASSERT (i->src_reg == BPF_REG_1 && i->off >= 0 && i->off <= 8 && i->off % 4 == 0);
          reg[i->dst_reg] = ctx[i->off / 4];
          break;
        case BPF_ALU | BPF_AND | BPF_K:
          reg[i->dst_reg] = (uint32_t) (reg[i->dst_reg] & (uint32_t) i->imm);
          break;
        case BPF_ALU | BPF_RSH | BPF_K:
          FUZZ_ASSERT (i->imm >= 0 && i->imm < 32);
          reg[i->dst_reg] = (uint32_t) reg[i->dst_reg] >> i->imm;
          break;
        case BPF_ALU64 | BPF_MOV | BPF_X:
          reg[i->dst_reg] = reg[i->src_reg];
          break;
        case BPF_ALU64 | BPF_MOV | BPF_K:
          reg[i->dst_reg] = imm;
          break;
        case BPF_JMP | BPF_JNE | BPF_K:
        case BPF_JMP | BPF_JEQ | BPF_K:
          {
            bool eq = reg[i->dst_reg] == imm;
            /* Forward only (the verifier wants a DAG), and not past the end. */
            FUZZ_ASSERT (i->off >= 0 && pc + 1 + (size_t) i->off < len);
            if (eq == ((i->code & 0xf0) == BPF_JEQ))
              pc += (size_t) i->off;
            break;
          }
        case BPF_JMP | BPF_EXIT:
          FUZZ_ASSERT (reg[0] <= 1);
          return (int) reg[0];
        default:
          fprintf (stderr, "unexpected instruction 0x%02x at %zu\n", i->code, pc);
          abort ();
        }
    }
  fprintf (stderr, "device program runs off its end\n");
  abort ();
}

static uint32_t
acc_bit (char a)
{
  return a == 'r' ? BPF_DEVCG_ACC_READ : a == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
}

/* A v1 line "c 1:3 rwm" back into a rule. */
static void
check_v1_line (const struct cg_dev_rule *d)
{
  char line[96], type, maj[24], min[24], acc[8] = "";
  cg_dev_rule_format (d, line, sizeof line);
  int got = sscanf (line, "%c %23[^:]:%23s %7s", &type, maj, min, acc);
  FUZZ_ASSERT (got == 4 || (got == 3 && d->access[0] == '\0'));
  FUZZ_ASSERT (type == d->type);
  FUZZ_ASSERT (d->major < 0 ? strcmp (maj, "*") == 0 : strtoll (maj, NULL, 10) == d->major);
  FUZZ_ASSERT (d->minor < 0 ? strcmp (min, "*") == 0 : strtoll (min, NULL, 10) == d->minor);
  FUZZ_ASSERT (strcmp (acc, d->access) == 0);
}

static void
add_probe (int64_t *v, size_t *n, int64_t x)
{
  for (size_t i = 0; i < *n; i++)
    if (v[i] == x)
      return;
  v[(*n)++] = x;
}

static void
check_rules (const struct spec_resources *res, const struct fuzz_bytes *probes_in)
{
  struct cg_dev_rule *rules = NULL;
  size_t n = 0;
  FUZZ_ASSERT (cg_device_rules (res, &rules, &n) == 0);
  FUZZ_ASSERT (n >= res->devices_len);
  for (size_t i = 0; i < n; i++)
    {
      FUZZ_ASSERT (strchr ("abc", rules[i].type) && rules[i].type != '\0');
      FUZZ_ASSERT (rules[i].major >= -1 && rules[i].major <= SPEC_DEV_MAJOR_MAX);
      FUZZ_ASSERT (rules[i].minor >= -1 && rules[i].minor <= SPEC_DEV_MINOR_MAX);
      check_v1_line (&rules[i]);
    }

  struct bpf_insn *prog = NULL;
  size_t len = 0;
  FUZZ_ASSERT (cg_bpf_device_program (rules, n, &prog, &len) == 0);
  FUZZ_ASSERT (len > 0 && len <= 6 + 8 * n + 2);
  struct cg_dev_allow *allow = NULL;
  size_t alen = 0;
  bool exact = false;
  FUZZ_ASSERT (cg_dev_allow_list (rules, n, &allow, &alen, &exact) == 0);

  /* Probe every number the rules name (each once), the largest valid ones
   * and a few from the input. */
  int64_t majors[MAX_RULES + 32], minors[MAX_RULES + 32];
  size_t nmaj = 0, nmin = 0;
  struct fuzz_bytes extra = *probes_in;
  add_probe (majors, &nmaj, SPEC_DEV_MAJOR_MAX);
  add_probe (minors, &nmin, SPEC_DEV_MINOR_MAX);
  for (int i = 0; i < 2; i++)
    {
      add_probe (majors, &nmaj, (int64_t) fuzz_take (&extra, 2) % (SPEC_DEV_MAJOR_MAX + 1));
      add_probe (minors, &nmin, (int64_t) fuzz_take (&extra, 3) % (SPEC_DEV_MINOR_MAX + 1));
    }
  for (size_t i = 0; i < n; i++)
    {
      add_probe (majors, &nmaj, rules[i].major >= 0 ? rules[i].major : 0);
      add_probe (minors, &nmin, rules[i].minor >= 0 ? rules[i].minor : 0);
    }
  for (size_t t = 0; t < 2; t++)
    for (size_t a = 0; a < 3; a++)
      for (size_t i = 0; i < nmaj; i++)
        for (size_t j = 0; j < nmin; j++)
          {
            char type = t ? 'b' : 'c', acc = "rwm"[a];
            int64_t major = majors[i], minor = minors[j];
            bool want = cg_dev_rules_allow (rules, n, type, major, minor, acc);
            int got = bpf_run (prog, len, t ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR,
                               acc_bit (acc), (uint32_t) major, (uint32_t) minor);
            if (got != want)
              fprintf (stderr, "eBPF says %d, rules say %d for %c %" PRId64 ":%" PRId64 " %c\n",
                       got, want, type, major, minor, acc);
            FUZZ_ASSERT (got == want);
            bool sd = cg_dev_allow_list_allows (allow, alen, type, major, minor, acc);
            FUZZ_ASSERT (sd || !want);
            FUZZ_ASSERT (!exact || sd == want);
          }
  free (allow);
  free (prog);
  free (rules);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct fuzz_bytes b = { data, size };
  struct rule_in in[MAX_RULES];
  size_t n = fuzz_take (&b, 1) % (MAX_RULES + 1);
  bool expect_ok = true;
  char *json = malloc (64 + n * 160);
  FUZZ_ASSERT (json != NULL);
  size_t len = (size_t) sprintf (json, "{\"devices\":[");
  for (size_t i = 0; i < n; i++)
    {
      next_rule (&b, &in[i]);
      expect_ok = expect_ok && rule_valid (&in[i]);
      len += (size_t) sprintf (json + len, "%s{\"allow\":%s", i ? "," : "",
                               in[i].allow ? "true" : "false");
      if (in[i].type)
        len += (size_t) sprintf (json + len, ",\"type\":\"%c\"", in[i].type);
      if (in[i].has_major)
        len += (size_t) sprintf (json + len, ",\"major\":%" PRId64, in[i].major);
      if (in[i].has_minor)
        len += (size_t) sprintf (json + len, ",\"minor\":%" PRId64, in[i].minor);
      if (in[i].access[0])
        len += (size_t) sprintf (json + len, ",\"access\":\"%s\"", in[i].access);
      len += (size_t) sprintf (json + len, "}");
    }
  len += (size_t) sprintf (json + len, "]}");

  struct error *e = NULL;
  struct spec_resources *r = spec_resources_parse_data (json, len, "resources", &e);
  fuzz_check_outcome (r != NULL, e);
  if ((r != NULL) != expect_ok)
    fprintf (stderr, "%s\n%s\n", json, e ? e->msg : "accepted");
  FUZZ_ASSERT ((r != NULL) == expect_ok);
  if (r)
    check_rules (r, &b);
  spec_resources_free (r);
  error_free (&e);
  free (json);
  return 0;
}
