#!/usr/bin/env bash
# Write an assembly file that embeds BPF object files into libxdp.a and libxdp.so.1.
#   embed-bpf.sh OUT.S OBJ...
# Each OBJ gets the _binary_<name>_start/_end symbols that libxdp.c looks up, named
# after the file's base name as `ld --format=binary` would name them, but without
# depending on the directory the linker runs in.
set -euo pipefail
out=$1
shift
{
	for obj in "$@"; do
		sym=_binary_$(basename "$obj" | tr -c 'A-Za-z0-9\n' '_')
		printf '\t.section .rodata\n\t.balign 8\n'
		printf '\t.globl %s_start\n%s_start:\n' "$sym" "$sym"
		printf '\t.incbin "%s"\n' "$(cd "$(dirname "$obj")" && pwd)/$(basename "$obj")"
		printf '\t.globl %s_end\n%s_end:\n' "$sym" "$sym"
	done
	printf '\t.section .note.GNU-stack,"",@progbits\n'
} > "$out"
