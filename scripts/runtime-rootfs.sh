#!/bin/bash
# Assembles Kelpie's runtime root filesystem in ROOTFS (used by the Dockerfile; the image is FROM scratch
# plus this tree). ROOTFS/usr/local/bin already holds kelpie and kelpie-load; the Swift runtime's shared
# libraries wait in SWIFT_RUNTIME_DIR (default /usr/local/lib/swift-runtime). Adds exactly:
#   - every shared library `ldd` names for them, the dynamic loader included (libc among them), copied
#     under the soname ldd prints into its canonical directory (Swift runtime libraries into libc's
#     directory, which the loader searches by default), an ld.so.cache, and the merged-/usr links
#     /lib and /lib64;
#   - the CA bundle at /etc/ssl/certs/ca-certificates.crt (and OpenSSL's default /usr/lib/ssl/cert.pem);
#   - /etc/passwd and /etc/group naming the kelpie user (uid/gid 10001), and its data dir /var/lib/kelpie.
# No shell, no package manager, nothing else. Fails if ldd cannot resolve a library.
# usage: runtime-rootfs.sh ROOTFS
set -euo pipefail
root=${1:?usage: runtime-rootfs.sh ROOTFS}
swift_runtime=${SWIFT_RUNTIME_DIR:-/usr/local/lib/swift-runtime}

libraries=$(
  for binary in "$root"/usr/local/bin/*; do
    out=$(LD_LIBRARY_PATH="$swift_runtime" ldd "$binary")
    if grep -q 'not found' <<<"$out"; then
      echo "runtime-rootfs: $binary: unresolved libraries:" >&2
      grep 'not found' <<<"$out" >&2
      exit 1
    fi
    # "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x…)" and "/lib64/ld-linux-x86-64.so.2 (0x…)";
    # linux-vdso has no file.
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$out"
  done | sort -u
)
libc_directory=$(readlink -f "$(dirname "$(grep '/libc\.so' <<<"$libraries")")")
for library in $libraries; do
  directory=$(readlink -f "$(dirname "$library")")
  [ "$directory" != "$(readlink -f "$swift_runtime")" ] || directory=$libc_directory
  install -D -m 0755 "$(readlink -f "$library")" "$root$directory/$(basename "$library")"
done
for link in lib lib64; do
  if [ -L "/$link" ]; then ln -sfn "$(readlink "/$link")" "$root/$link"; fi
done
install -d -m 0755 "$root/etc"
ldconfig -r "$root"

install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
install -d -m 0755 "$root/usr/lib/ssl"
ln -sfn /etc/ssl/certs/ca-certificates.crt "$root/usr/lib/ssl/cert.pem"

install -d -m 0755 "$root/etc"
printf 'kelpie:x:10001:10001:kelpie:/var/lib/kelpie:/nonexistent\n' >"$root/etc/passwd"
printf 'kelpie:x:10001:\n' >"$root/etc/group"
install -d -o 10001 -g 10001 -m 0750 "$root/var/lib/kelpie"

echo "runtime-rootfs: $(wc -w <<<"$libraries") libraries:" $libraries
du -sh "$root"
