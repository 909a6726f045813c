#include "../tap.h"				/* the TAP helpers shared by all unit tests */
