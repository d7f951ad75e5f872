"""The _chrony user. chronyd reads its NTS certificate and key after dropping root to _chrony,
so nanotime-setup --nts (chrony_server.py) and the doctor's NTS check (nts_check.py) both ask
whether that user can read a file."""


def passwd_ids(passwd_text, name="_chrony"):
    """(uid, gid) of `name` in the text of an /etc/passwd, None when it has no such user."""
    for line in passwd_text.splitlines():
        f = line.split(":")
        if len(f) >= 4 and f[0] == name and f[2].isdigit() and f[3].isdigit():
            return int(f[2]), int(f[3])
    return None


def can_read(st, ids):
    """Can the user (uid, gid) read a file with stat `st`? (no ACLs, no extra groups)"""
    uid, gid = ids
    if st.st_uid == uid:
        return bool(st.st_mode & 0o400)
    if st.st_gid == gid:
        return bool(st.st_mode & 0o040)
    return bool(st.st_mode & 0o004)
