#!/bin/sh
# /etc/stratus/run-agent of the fast guest: runs the agent command line kept
# in /etc/stratus-agent.cmd (one shell command line, e.g.
# `node /opt/stratus/stratus-context-agent.mjs apply`), with its output on the serial console.
# A server it starts in the background keeps running after it exits. A
# non-zero exit powers the guest off unless stratus.onfail=stay.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
cd /

onfail=poweroff
for w in $(cat /proc/cmdline); do
  case "$w" in stratus.onfail=*) onfail="${w#*=}" ;; esac
done

if [ ! -s /etc/stratus-agent.cmd ]; then
  echo "STRATUS-AGENT: exit 127 (no /etc/stratus-agent.cmd)"
  code=127
else
  cmd="$(cat /etc/stratus-agent.cmd)"
  echo "STRATUS-AGENT: start $cmd"
  sh -c "$cmd"
  code=$?
  echo "STRATUS-AGENT: exit $code"
fi

if [ "$code" -ne 0 ] && [ "$onfail" = poweroff ]; then
  echo "stratus-init: agent failed; powering off"
  sync
  poweroff -f
fi
