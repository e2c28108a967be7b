// stack/errno.cc: errno names for traces and application output.
#include "stack/errno.h"

namespace stack {

const char* errno_name(int e) {
  switch (e) {
    case err::EPERM: return "EPERM";
    case err::EINTR: return "EINTR";
    case err::EBADF: return "EBADF";
    case err::EAGAIN: return "EAGAIN";
    case err::ENOMEM: return "ENOMEM";
    case err::EACCES: return "EACCES";
    case err::EFAULT: return "EFAULT";
    case err::EINVAL: return "EINVAL";
    case err::EMFILE: return "EMFILE";
    case err::EPIPE: return "EPIPE";
    case err::ENOTSOCK: return "ENOTSOCK";
    case err::EDESTADDRREQ: return "EDESTADDRREQ";
    case err::EMSGSIZE: return "EMSGSIZE";
    case err::EPROTOTYPE: return "EPROTOTYPE";
    case err::ENOPROTOOPT: return "ENOPROTOOPT";
    case err::EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case err::ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
    case err::EOPNOTSUPP: return "EOPNOTSUPP";
    case err::EAFNOSUPPORT: return "EAFNOSUPPORT";
    case err::EADDRINUSE: return "EADDRINUSE";
    case err::EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case err::ENETDOWN: return "ENETDOWN";
    case err::ENETUNREACH: return "ENETUNREACH";
    case err::ECONNRESET: return "ECONNRESET";
    case err::ENOBUFS: return "ENOBUFS";
    case err::EISCONN: return "EISCONN";
    case err::ENOTCONN: return "ENOTCONN";
    case err::ETIMEDOUT: return "ETIMEDOUT";
    case err::ECONNREFUSED: return "ECONNREFUSED";
    case 112: return "EHOSTDOWN";
    case err::EHOSTUNREACH: return "EHOSTUNREACH";
    case err::EALREADY: return "EALREADY";
    case err::EINPROGRESS: return "EINPROGRESS";
    case 64: return "ENONET";
  }
  return "E?";
}

}  // namespace stack
