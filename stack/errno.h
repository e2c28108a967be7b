// stack/errno.h: errno values the modelled syscalls return. They are the
// C library's <cerrno> constants, which on Linux are the kernel's numbers
// (include/uapi/asm-generic/errno*.h); syscalls return them negated, as
// the kernel does.
#pragma once

#include <cerrno>

namespace stack {

// "EHOSTUNREACH" for an errno value (positive), for traces and apps.
const char* errno_name(int e);

}  // namespace stack
