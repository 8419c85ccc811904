/* ev_compat.h -- libev's header lives at <ev.h> or <libev/ev.h>. */
#ifndef DANEPROBE_EV_COMPAT_H
#define DANEPROBE_EV_COMPAT_H
#if defined(HAVE_EV_H)
#include <ev.h>
#elif defined(HAVE_LIBEV_EV_H)
#include <libev/ev.h>
#else
#error "libev header not found"
#endif
#endif
