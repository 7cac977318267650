/* SPDX-License-Identifier: MIT */
/* Guest RAM's component descriptor (memory/phys_state.c); dev is the PhysMem. */
#ifndef KAIRO_PHYS_STATE_H
#define KAIRO_PHYS_STATE_H

#include "iodev/device.h"
#include "memory/phys.h"

extern const DeviceDesc ram_desc;

#endif
