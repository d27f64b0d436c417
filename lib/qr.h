/* qr.h - a QR code (libqrencode) as an SVG image, drawn server-side (no script, no image
 * request): the second factor's enrolment page shows its otpauth:// URI this way. */
#ifndef PORTAL_QR_H
#define PORTAL_QR_H

#include "buf.h"

/* Appends to out an <svg> element (role img, aria-label label, escaped) of text as a QR code,
 * error correction M, 4-module quiet zone, black on white, scale pixels per module. 0, or -1
 * when the text does not fit a QR code or libqrencode fails (nothing appended). */
int qr_svg(const char *text, const char *label, int scale, struct buf *out);

#endif
