/* mail_ingest.c - (being written). */
#include "app.h"
