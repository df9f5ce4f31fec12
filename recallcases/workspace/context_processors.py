from recallcases.workspace.models import StaffPolicy


def staff_policy(request):
    """`two_factor_relaxed`: whether the policy lets staff in without a second factor.

    Read only when a page asks (the workspace's banner), and from the request when the sign-in
    check has read the policy already.
    """

    def two_factor_relaxed() -> bool:
        policy = getattr(request, "_staff_policy", None) or StaffPolicy.current()
        return not policy.require_two_factor

    return {"two_factor_relaxed": two_factor_relaxed}
