"""The backlink audit: which linking domains may hurt, with the reasons, and the disavow file.

``audit_file(settings, path)`` audits a backlink export, ``audit_placements(settings)`` our
own earned links; :mod:`prospector.audit.disavow` writes the confirmed domains.
"""
