/* The argument vector `capsa ps` gives ps(1). */
#ifndef CAPSA_PS_ARGV_H
#define CAPSA_PS_ARGV_H

char **ps_argv_build (char **opts, int nopts);

#endif
