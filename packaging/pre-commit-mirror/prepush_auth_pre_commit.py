"""Nothing to import: the prepush-auth hook's binary comes from the prepush-auth wheel."""
