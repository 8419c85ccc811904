/*
 * va_format.h -- the one way a function with printf-style arguments
 * records a message (a reason, a detail) in a fixed-size char array.
 */
#ifndef DANEPROBE_VA_FORMAT_H
#define DANEPROBE_VA_FORMAT_H

#include <stdarg.h>
#include <stdio.h>

/*
 * Formats the variable arguments of the calling function, which follow
 * its last named parameter `fmt`, into `array`: a char array, not a
 * pointer (its size is sizeof(array)).  A longer message is cut: these
 * messages are for people and bounded.
 */
#define VA_FORMAT(array, fmt) \
	do { \
		va_list va_format_ap; \
		va_start(va_format_ap, fmt); \
		vsnprintf((array), sizeof(array), (fmt), va_format_ap); \
		va_end(va_format_ap); \
	} while (0)

#endif
