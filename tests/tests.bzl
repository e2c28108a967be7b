"""A Catch2 test binary with the shared main."""

def skbsim_test(name, srcs, deps = [], data = [], size = "small", **kwargs):
    native.cc_test(
        name = name,
        srcs = srcs,
        deps = deps + [":catch_main", "@system//:catch2"],
        data = data,
        size = size,
        **kwargs
    )
