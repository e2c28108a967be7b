// stack/errno.h: the errno values the modelled syscalls return, with the
// numbers of Linux on x86-64 (include/uapi/asm-generic/errno*.h).
#pragma once

namespace stack {
namespace err {
constexpr int EPERM = 1;
constexpr int EINTR = 4;
constexpr int EBADF = 9;
constexpr int EAGAIN = 11;
constexpr int ENOMEM = 12;
constexpr int EACCES = 13;
constexpr int EFAULT = 14;
constexpr int EINVAL = 22;
constexpr int EMFILE = 24;
constexpr int EPIPE = 32;
constexpr int ENOTSOCK = 88;
constexpr int EDESTADDRREQ = 89;
constexpr int EMSGSIZE = 90;
constexpr int EPROTOTYPE = 91;
constexpr int ENOPROTOOPT = 92;
constexpr int EPROTONOSUPPORT = 93;
constexpr int ESOCKTNOSUPPORT = 94;
constexpr int EOPNOTSUPP = 95;
constexpr int EAFNOSUPPORT = 97;
constexpr int EADDRINUSE = 98;
constexpr int EADDRNOTAVAIL = 99;
constexpr int ENETDOWN = 100;
constexpr int ENETUNREACH = 101;
constexpr int ECONNRESET = 104;
constexpr int ENOBUFS = 105;
constexpr int EISCONN = 106;
constexpr int ENOTCONN = 107;
constexpr int ETIMEDOUT = 110;
constexpr int ECONNREFUSED = 111;
constexpr int EHOSTUNREACH = 113;
constexpr int EALREADY = 114;
constexpr int EINPROGRESS = 115;
}  // namespace err

// "EHOSTUNREACH" for an errno value (positive), for traces and apps.
const char* errno_name(int e);

}  // namespace stack
