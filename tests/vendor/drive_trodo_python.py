"""Every profile, group and upsert call in each of the vendor's public forms, written as
code for trodo-python 2.26.2, against the API base given as argv[1].

Run by the vendor SDK's own venv (with ``python -I``, so it never imports this
project's trodo), and by this project's venv, unchanged: the same code, the
same requests. It prints one JSON line: the SDK's version and what each
call returned.
"""

from __future__ import annotations

import json
import sys

import trodo  # the vendor's package: its import name is the same as ours


def main(api_base: str, site_id: str) -> None:
    client = trodo.init(site_id, api_base=api_base, auto_instrument=False)
    returned: dict[str, object] = {}

    user = trodo.for_user("user_42")
    people = user.people
    returned["people.set"] = people.set({"plan": "pro", "seats": 5})
    returned["people.set_once"] = people.set_once({"first_plan": "free"})
    returned["people.unset"] = people.unset("trial_ends")
    people.unset(["a", "b"])
    returned["people.increment"] = people.increment("logins")
    people.increment("credits", 2.5)
    returned["people.append"] = people.append("viewed", ["pricing"])
    returned["people.union"] = people.union("features", ["export", "sso"])
    returned["people.remove"] = people.remove("features", ["sso"])
    returned["people.track_charge"] = people.track_charge(49.5)
    people.track_charge(10, {"currency": "EUR"})
    returned["people.clear_charges"] = people.clear_charges()
    returned["people.delete_user"] = people.delete_user()

    returned["groups.set_group"] = user.set_group("company", "acme")
    user.set_group("company", ["acme", "globex"])
    returned["groups.add_group"] = user.add_group("company", "initech")
    returned["groups.remove_group"] = user.remove_group("company", "initech")
    group = user.get_group("company", "acme")
    returned["groups.profile.set"] = group.set({"plan": "enterprise"})
    returned["groups.profile.set_once"] = group.set_once({"founded": 2019})
    returned["groups.profile.union"] = group.union("regions", ["eu", "us"])
    returned["groups.profile.remove"] = group.remove("regions", "us")
    returned["groups.profile.unset"] = group.unset("trial_ends")
    returned["groups.profile.increment"] = group.increment("seats")
    group.increment("seats", 5)
    returned["groups.profile.append"] = group.append("integrations", "slack")
    returned["groups.profile.delete"] = group.delete()

    # The client's distinct-id-first forms and the module-level helpers.
    client.people_set("user_7", {"plan": "free"})
    client.people_set_once("user_7", {"first_seen": "2026-11-27"})
    client.people_unset("user_7", "plan")
    client.people_increment("user_7", "logins", 3)
    client.people_append("user_7", "viewed", ["docs"])
    client.people_union("user_7", "features", ["api"])
    client.people_remove("user_7", "features", ["api"])
    client.people_track_charge("user_7", 5, {"coupon": "X"})
    client.people_clear_charges("user_7")
    client.people_delete_user("user_7")
    client.set_group("user_7", "team", ["t1", "t2"])
    client.add_group("user_7", "team", "t3")
    client.remove_group("user_7", "team", "t3")
    client.get_group("user_7", "team", "t1").set({"size": 3})
    trodo.people_set("user_8", {"plan": "team"})
    trodo.people_set_once("user_8", {"first_plan": "team"})

    returned["users.upsert"] = trodo.upsert_user(
        "user_42",
        properties={"plan": "pro"},
        set_once={"signup_date": "2026-01-04"},
        fixed_properties={"last_location_country": "India"},
    )
    client.upsert_user("user_9")
    client.users.upsert("user_10", properties={})

    # A captured error: the one automatic event, as the vendor builds it.
    try:
        raise ValueError("card declined")
    except ValueError as exc:
        user.capture_error(exc, severity="warning")

    trodo.flush()
    trodo.shutdown()
    print(json.dumps({"version": trodo.__version__, "returned": returned}, default=repr))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
