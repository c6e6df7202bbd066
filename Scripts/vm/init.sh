#!/bin/busybox sh
# The guest's first process: load virtio and 9p, mount the host's root read-only as the new
# root with tmpfs where programs write, mount the kernel tree and the work share, and hand
# over to the share's guest.sh (run by the host's bash).
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules/order); do insmod /modules/$m.ko 2>/dev/null; done
o=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o $o,ro hostroot /newroot || { echo "VIGIL-VM: cannot mount the host root"; poweroff -f; }
mount -t tmpfs tmpfs /newroot/run
mkdir -p /newroot/run/vigil-vm/kernel /newroot/run/vigil-vm/share
mount -t 9p -o $o,ro kernel /newroot/run/vigil-vm/kernel
mount -t 9p -o $o share /newroot/run/vigil-vm/share
mount --move /dev /newroot/dev
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
exec switch_root /newroot /bin/bash /run/vigil-vm/share/.guest-init
