"""Usernames that look like someone else's are refused at sign-up.

"demo" spelt with a Cyrillic e (U+0435) beside "demo" lets one learner pass for
another. Django already applies NFKC to usernames; on top of that a new username is
refused when it mixes scripts (confusable-homoglyphs, built on Unicode's confusables
data), or when its *skeleton* is an existing username's: a simplified UTS #39
skeleton, where each character becomes the ASCII character it is confusable with, case
is folded, and ASCII's own look-alikes are merged (0 and o; 1, I, | and l; rn and m;
vv and w).
"""

import unicodedata

from confusable_homoglyphs import confusables

_ASCII_LOOKALIKES = str.maketrans({"0": "o", "1": "l", "I": "l", "|": "l"})


def username_skeleton(username: str) -> str:
    letters = []
    for char in unicodedata.normalize("NFKC", username):
        if not char.isascii():
            found = confusables.is_confusable(char, preferred_aliases=["latin"], greedy=True)
            ascii_twins = [
                glyph["c"]
                for entry in found or ()
                for glyph in entry["homoglyphs"]
                if glyph["c"].isascii()
            ]
            char = ascii_twins[0] if ascii_twins else char
        letters.append(char)
    skeleton = "".join(letters).translate(_ASCII_LOOKALIKES).casefold()
    return skeleton.replace("rn", "m").replace("vv", "w")


def username_mixes_scripts(username: str) -> bool:
    """Letters of several scripts that look alike (Latin d, m, o with a Cyrillic e)."""
    return bool(confusables.is_dangerous(username))
