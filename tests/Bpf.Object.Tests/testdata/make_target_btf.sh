#!/bin/sh
# Regenerates target.btf (the committed "kernel" BTF blob for CO-RE tests) from target_btf.c.
# Needs clang and llvm-objcopy (Debian: clang-14, llvm-14). Run from this directory.
set -eu
CLANG=${CLANG:-clang}
OBJCOPY=${OBJCOPY:-llvm-objcopy}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$CLANG" -target bpf -g -O2 -c target_btf.c -o "$tmp/target.o"
"$OBJCOPY" --dump-section .BTF="$tmp/target.btf" "$tmp/target.o"
cp "$tmp/target.btf" target.btf
echo "wrote target.btf ($(wc -c < target.btf) bytes)"
