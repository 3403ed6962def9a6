"""Judgment of an ordinary message as named steps, each testable alone:

    context -> facts -> decide -> gate -> drafts -> etiquette and pause -> commit

``facts`` and ``drafts`` are empty slots for now (typed facts of the message before the
decision; drafts shown to the owner after the gate). The judgment desk runs the steps in
this order; ``deputy try`` runs the same steps with a commit that writes nothing.
"""
