"""The owner's words, read for what they mean (DESIGN.md, Escalation).

An answer to a question is exactly one of: an option, text written to the correspondent
(the only thing ever sent as written), an instruction to Deputy about the
correspondent, a policy for the future with its conditions, or unclear (asked back).
``reading`` classifies deterministically in English, German and French; ``carrying``
turns a reading into what happens, within the rules, and into the drafts the owner
confirms before anything Deputy wrote leaves with the owner's authority.
"""
