/* qr.c - QR codes as SVG: one path of unit squares, one per dark module. */
#include "qr.h"

#include <string.h>

#include <qrencode.h>

int qr_svg(const char *text, const char *label, int scale, struct buf *out)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!q)
		return -1;
	const int quiet = 4, w = q->width, size = w + 2 * quiet;
	buf_printf(out,
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"");
	buf_html(out, label, strlen(label));
	buf_printf(out,
		   "\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
		   "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
		   size * scale, size * scale, size, size, size, size);
	for (int y = 0; y < w; y++)
		for (int x = 0; x < w; x++)
			if (q->data[y * w + x] & 1)
				buf_printf(out, "M%d %dh1v1h-1z", x + quiet, y + quiet);
	buf_puts(out, "\"/></svg>");
	QRcode_free(q);
	return 0;
}
