/*
 * smtp_route.h -- where an SMTP client's connection goes: the socket
 * address of a looked-up address, and whether this host has a route to
 * it at all (so that a family it cannot reach is left out, as a sending
 * MTA leaves it out, instead of failing).
 */
#ifndef DANEPROBE_SMTP_ROUTE_H
#define DANEPROBE_SMTP_ROUTE_H

#include <stdbool.h>
#include <sys/socket.h>

#include "dns/dns_answer.h"

/* Fills *ss with a's address and port; returns its length. */
socklen_t smtp_sockaddr(
    const dns_addr *a, int port, struct sockaddr_storage *ss);

/* Whether this host has no route to a's family: a UDP connect() to it
 * (which sends nothing) fails with ENETUNREACH, EADDRNOTAVAIL or
 * EAFNOSUPPORT.  Decided per address, not guessed from the interfaces. */
bool smtp_no_route(const dns_addr *a, int port);

#endif
