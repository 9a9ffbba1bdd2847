import tarfile


def restore_backup(archive_path, target):
    with tarfile.open(archive_path) as archive:
        archive.extractall(target)
