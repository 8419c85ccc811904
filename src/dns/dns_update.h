/*
 * dns_update.h -- RFC 2136 dynamic updates signed with TSIG (RFC 8945),
 * built and checked with ldns, sent over TCP to a zone's primary.
 *
 * Why TCP: an update with a TSIG record and two TLSA records is small, but
 * a primary must see the whole message or nothing, and a reply that does
 * not fit would be truncated; TCP also keeps a forged UDP reply out.
 *
 * The message: zone section (the zone, class IN, type SOA), prerequisites
 * (optional "RRset exists (value independent)": class ANY, TTL 0, no
 * rdata, RFC 2136 section 2.4.1), updates (RFC 2136 section 2.5: an add is
 * the RR in class IN with its TTL; "delete an RR from an RRset" is the RR
 * in class NONE with TTL 0) and the TSIG record last.
 *
 * Ownership: dns_update_msg_new() allocates; dns_update_msg_free() frees
 * (NULL-safe).  A dns_tsig_key holds the secret: dns_tsig_key_wipe() it
 * when done.
 */
#ifndef DANEPROBE_DNS_UPDATE_H
#define DANEPROBE_DNS_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dns_tsig_key {
	char name[256];     /* absolute, lower case: "update.example.lab." */
	char algorithm[32]; /* "hmac-sha256." */
	char secret[256];   /* base64, as written in the key file */
} dns_tsig_key;

/*
 * Parses a TSIG key in the form BIND and knsupdate read,
 *     key "NAME" { algorithm hmac-sha256; secret "BASE64"; };
 * (one key; comments with # or //), or the short forms NAME:SECRET and
 * hmac-sha256:NAME:SECRET.  Only hmac-sha256 is taken (the algorithm every
 * primary supports and the one RFC 8945 requires).  Returns 0, or -1 with
 * the reason in err (which never quotes the secret).
 */
int dns_tsig_key_parse(
    const char *text, dns_tsig_key *key, char *err, size_t errlen);

/* Reads and parses a key file (at most 64 KiB); 0 or -1 with err. */
int dns_tsig_key_load(
    const char *path, dns_tsig_key *key, char *err, size_t errlen);

/* Overwrites the secret (the compiler may not drop it). */
void dns_tsig_key_wipe(dns_tsig_key *key);

typedef enum dns_update_op {
	DNS_UPDATE_ADD = 0, /* add the RR (class IN, its TTL) */
	DNS_UPDATE_DELETE,  /* delete this one RR (class NONE, TTL 0) */
} dns_update_op;

typedef struct dns_update_change {
	dns_update_op op;
	/* One RR in zone-file form, absolute owner:
	 * "_25._tcp.mx.example.lab. 300 IN TLSA 3 1 1 ab12..." */
	const char *rr;
} dns_update_change;

typedef struct dns_update_params {
	const char *zone; /* "example.lab" (a trailing dot is fine) */
	const dns_update_change *changes;
	size_t n_changes;
	/* When set: "this RRset exists" as the one prerequisite (owner name
	 * and type), so an update never creates a set the user did not have. */
	const char *exists_owner;
	uint16_t exists_type;
	uint16_t id;             /* message ID */
	const dns_tsig_key *key; /* NULL: unsigned (tests only) */
} dns_update_params;

typedef struct dns_update_msg dns_update_msg;

/* Builds and signs the update; 0 and *out, or -1 with err. */
int dns_update_msg_new(
    const dns_update_params *p, dns_update_msg **out, char *err, size_t errlen);
void dns_update_msg_free(dns_update_msg *m);

/* The signed message in wire form (borrowed from m). */
const uint8_t *dns_update_msg_wire(const dns_update_msg *m, size_t *len);

/* What the primary said. */
typedef struct dns_update_result {
	int rcode;        /* 0 NOERROR, 5 REFUSED, 9 NOTAUTH, ... */
	int tsig_error;   /* the reply's TSIG error field (16 BADSIG, ...) */
	bool tsig_valid;  /* the reply is signed with our key and valid */
	char reason[300]; /* one line: "NOTAUTH (TSIG BADSIG)" etc. */
} dns_update_result;

/*
 * Checks a reply (wire form) to m: its ID and opcode, its rcode, the TSIG
 * error, and the TSIG over the reply with the request's MAC (RFC 8945
 * section 5.3).  Returns 0 when the update was applied (NOERROR and a
 * valid TSIG, or NOERROR for an unsigned request), else -1; res always
 * says why.
 */
int dns_update_check_reply(const dns_update_msg *m, const dns_tsig_key *key,
    const uint8_t *wire, size_t len, dns_update_result *res);

/*
 * Sends m over TCP to server ("ADDR", "ADDR@PORT", "[V6]:PORT"; port 53
 * by default) and checks the reply as dns_update_check_reply() does.
 * Blocks for at most timeout_ms in all.  Returns 0 when the update was
 * applied; -1 otherwise, with res->reason (the server's answer) or, when
 * no reply came, the reason in err and res->rcode -1.
 */
int dns_update_send(const dns_update_msg *m, const dns_tsig_key *key,
    const char *server, unsigned timeout_ms, dns_update_result *res, char *err,
    size_t errlen);

/* "NOERROR", "NOTAUTH", ... ("RCODE-n" for others); "BADSIG", ... */
const char *dns_rcode_name(int rcode);
const char *dns_tsig_error_name(int error);

#endif
