/* Signal names <-> numbers for `capsa kill`, accepting what runc accepts
 * ("KILL", "SIGKILL", "kill", "9") plus real-time names ("RTMIN+3", "SIGRTMAX-1")
 * that systemd-style stop signals use. */
#ifndef CAPSA_SIGNALS_H
#define CAPSA_SIGNALS_H

/* Returns the signal number, or -1 for an unknown name or out-of-range number. */
int signal_parse (const char *s);
/* "SIGKILL" for 9, "SIGRTMIN+3" for a real-time signal; NULL when unknown.
 * Real-time names are written into a static buffer. */
const char *signal_name (int signo);

#endif
