# Runs inside the guest (Scripts/vm/run): Vigil on vivid's /dev/video0 and the loopback
# card's capture side, a known tone played into the other side, and vivid unloaded and
# reloaded when the host says so (files in the share: unplug, replug, stop).
set -u
S=$VIGIL_SHARE
source "$S/env"
wait_for() { while [ ! -e "$S/$1" ]; do sleep 0.2; done; }

"$VIGIL_BIN" devices > "$S/devices.txt" 2>&1
aplay -q -D hw:Loopback,0 -f S16_LE -r 8000 -c 1 "$S/tone.raw" 2> "$S/aplay.log" &
tone=$!
"$VIGIL_BIN" --camera /dev/video0 --microphone hw:Loopback,1 --width "$WIDTH" --height "$HEIGHT" --fps "$FPS" \
  --bitrate 300 --threads 1 --port 8554 --udp-port-base 6970 --log-level info > "$S/vigil.out" 2> "$S/vigil.log" &
vigil=$!

wait_for unplug
# An unplug as user space sees it: the device goes away under the open descriptor
# (ENODEV). Unbinding the platform device does exactly that; once Vigil has let go of the
# node, the module itself is unloaded.
echo vivid.0 > /sys/bus/platform/drivers/vivid/unbind
echo "unbind status $?" >> "$S/events.log"
for i in $(seq 50); do grep -q "camera unavailable" "$S/vigil.log" && break; sleep 0.2; done
sleep 0.5
{ lsmod | grep vivid; ls -l /proc/$vigil/fd | grep -i video; grep -i video /proc/$vigil/maps; } > "$S/holders.log" 2>&1
rmmod vivid 2> "$S/rmmod.log"
echo "rmmod status $?" >> "$S/events.log"
wait_for replug
if [ -d /sys/module/vivid ]; then
  # Still loaded (something held it): plug the same device back in.
  echo vivid.0 > /sys/bus/platform/drivers/vivid/bind
  echo "bind status $?" >> "$S/events.log"
else
  $VIGIL_MODPROBE vivid n_devs=1 node_types=0x1 input_types=0x00
  echo "modprobe status $?" >> "$S/events.log"
fi
wait_for stop
kill -TERM "$vigil"
wait "$vigil"
echo "vigil exit $?" >> "$S/events.log"
kill "$tone" 2>/dev/null
exit 0
