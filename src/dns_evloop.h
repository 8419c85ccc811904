/* dns_evloop.h -- getdns's event loop on libev, writes before reads.
 *
 * getdns's own libev extension (getdns_extension_set_libev_loop) gives
 * every event a read and a write watcher, and libev runs the read callback
 * first when both fire at once.  libunbound (recursive mode) opens a TCP
 * socket without connect() (TCP Fast Open: the first write connects) and
 * waits to read and write: an unconnected socket is readable and writable
 * at once, the read comes first and fails with ENOTCONN, so recursive mode
 * could never fall back to TCP (truncated answers: every TLSA RRset over
 * 1232 bytes).  getdns's default loop runs the write callback first; this
 * one does the same, on the caller's libev loop. */
#ifndef DANEPROBE_DNS_EVLOOP_H
#define DANEPROBE_DNS_EVLOOP_H

#include <getdns/getdns.h>

#include "ev_compat.h"

/* Makes ctx schedule its events on loop.  The extension belongs to ctx
 * (freed by getdns_context_destroy() or when replaced); loop must outlive
 * ctx.  Returns getdns's code. */
getdns_return_t dns_evloop_attach(getdns_context *ctx, struct ev_loop *loop);

#endif
