#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "smtp/smtp_route.h"

socklen_t
smtp_sockaddr(const dns_addr *a, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		s6->sin6_addr = a->u.v6;
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	s4->sin_addr = a->u.v4;
	return sizeof(*s4);
}

bool
smtp_no_route(const dns_addr *a, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = smtp_sockaddr(a, port, &ss);
	int fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return errno == EAFNOSUPPORT;
	if (connect(fd, (const struct sockaddr *)&ss, len) != 0)
		err = errno;
	close(fd);
	return err == ENETUNREACH || err == EADDRNOTAVAIL ||
	    err == EAFNOSUPPORT;
}
