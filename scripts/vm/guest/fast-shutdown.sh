#!/bin/sh
# /etc/stratus/rc.shutdown of the fast guest: busybox init runs it on
# poweroff/reboot (the ACPI power button included). Stops every process,
# then flushes and unmounts the state disk so a second boot sees all writes.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
echo "stratus-init: shutting down"
kill -TERM -1 2>/dev/null
sleep 0.5
kill -KILL -1 2>/dev/null
sync
umount /root /var/lib 2>/dev/null
umount /data 2>/dev/null || mount -o remount,ro /data 2>/dev/null
sync
echo "STRATUS-INIT: halted"
