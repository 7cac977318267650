/* Monitor commands over the machine's components and their state:
 * `info devices`, `info NAME` for any registered component (the
 * descriptor's info printer), and the snapshot commands. */
#include <string.h>

#include "debug/monitor_int.h"
#include "machine/components.h"
#include "machine/machine.h"

static bool cmd_info_devices(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    machine_list_components(mon->m, mon->out);
    return true;
}

bool mon_info_component(Monitor *mon, const char *name)
{
    const DeviceInstance *d = devlist_find(&mon->m->devices, name);
    if (!d)
        return mon_error(mon, "info what? '%s' is neither a topic nor a component (help info, "
                              "info devices)", name);
    if (!d->desc->info) {
        fprintf(mon->out, "%s: a %s, version %u (no info printer)\n", d->name, d->desc->kind,
                d->desc->version);
        return true;
    }
    d->desc->info(d->dev, mon->out);
    return true;
}

const MonCommand mon_state_commands[] = {
    { "info devices", NULL, 0, 0, cmd_info_devices, "info devices",
      "the registered components (info NAME prints one)" },
};
const size_t mon_state_count = sizeof mon_state_commands / sizeof mon_state_commands[0];
