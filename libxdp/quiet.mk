# Quiet output, kbuild style: `$(call msg,TAG,target)` prints a short line and $(Q) hides the
# command; V=1 prints every command instead.
ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-7s %s\n' $(1) $(2)
endif
