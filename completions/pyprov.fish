# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_pyprov_global_optspecs
    string join \n h/help V/version
end

function __fish_pyprov_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_pyprov_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_pyprov_using_subcommand
    set -l cmd (__fish_pyprov_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c pyprov -n "__fish_pyprov_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pyprov -n "__fish_pyprov_needs_command" -s V -l version -d 'Print version'
complete -c pyprov -n "__fish_pyprov_needs_command" -f -a "verify" -d 'Verify files against their provenance, and the signer against an expected publisher'
complete -c pyprov -n "__fish_pyprov_needs_command" -f -a "inspect" -d 'Show what an attestation, provenance object or bundle claims, without verifying it'
complete -c pyprov -n "__fish_pyprov_needs_command" -f -a "trust" -d 'Keep the trust file (pyprov.toml): who may publish each package, what happens to unattested files, trust on first use'
complete -c pyprov -n "__fish_pyprov_needs_command" -f -a "lock" -d 'Write a pylock.toml (PEP 751) of verified files, recording the publisher each file\'s certificate proved (`attestation-identities`); `--check` re-judges an existing lock'
complete -c pyprov -n "__fish_pyprov_needs_command" -f -a "pip" -d 'Run pip through pyprov: `install` and `download` are verified; `wheel`, `lock`, `index`, `search` and `list --outdated` are refused (they fetch around the gate); every other pip command runs the real pip unchanged (what the `pip` links made by `shim install` do)'
complete -c pyprov -n "__fish_pyprov_needs_command" -f -a "shim" -d 'Install or remove `pip`/`pip3` links to pyprov in a directory (a virtualenv\'s bin/, /usr/local/bin in an image)'
complete -c pyprov -n "__fish_pyprov_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c pyprov -n "__fish_pyprov_needs_command" -f -a "install" -d 'Install like `pip install`, verifying every file before pip reads a byte of it'
complete -c pyprov -n "__fish_pyprov_needs_command" -f -a "download" -d 'Download like `pip download -d DIR`, keeping only verified files'
complete -c pyprov -n "__fish_pyprov_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pyprov -n "__fish_pyprov_using_subcommand verify" -l provenance -d 'A PEP 740 provenance object (as served by PyPI\'s Integrity API)' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand verify" -l attestation -d 'A PEP 740 attestation object; repeat for several (all must verify)' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand verify" -l bundle -d 'A Sigstore bundle (v0.1 to v0.3; a single-line .intoto.jsonl bundle works too)' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand verify" -l publisher -d 'Expected publisher: github:OWNER/REPO[/WORKFLOW_FILE], gitlab:NAMESPACE/PROJECT[//WORKFLOW_FILEPATH] or google:EMAIL. Without a workflow, any workflow of that repository. Repeat to allow several' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand verify" -l environment -d 'Expected deployment environment. Enforced when the certificate carries the Deployment Environment extension; certificates without it pass and are reported as "environment not proven"' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand verify" -l identity -d 'Expected certificate identity (SAN), exactly; requires --issuer' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand verify" -l issuer -d 'Expected OIDC issuer of the certificate; requires --identity' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand verify" -l key -d 'Public key (PEM) of a managed-key bundle, which has no Fulcio certificate' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand verify" -l trusted-root -d 'Sigstore trusted_root.json to verify against instead of the embedded production root (staging, or a private Sigstore)' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand verify" -l format -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand verify" -l trust-file -d 'The trust file to use instead of the nearest pyprov.toml above the working directory' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand verify" -l locked -d 'Never write the trust file; a package with no publisher is an error instead of a pin. The default when the CI environment variable is set; --locked=false turns it off' -r -f -a "true\t''
false\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand verify" -s h -l help -d 'Print help'
complete -c pyprov -n "__fish_pyprov_using_subcommand inspect" -l format -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand inspect" -s h -l help -d 'Print help'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and not __fish_seen_subcommand_from show add allow-unattested remove pin init help" -l trust-file -d 'The trust file to use instead of the nearest pyprov.toml above the working directory' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and not __fish_seen_subcommand_from show add allow-unattested remove pin init help" -l locked -d 'Never write the trust file; a package with no publisher is an error instead of a pin. The default when the CI environment variable is set; --locked=false turns it off' -r -f -a "true\t''
false\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and not __fish_seen_subcommand_from show add allow-unattested remove pin init help" -s h -l help -d 'Print help'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and not __fish_seen_subcommand_from show add allow-unattested remove pin init help" -f -a "show" -d 'Show the effective policy and every package entry'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and not __fish_seen_subcommand_from show add allow-unattested remove pin init help" -f -a "add" -d 'Allow PACKAGE to be published by SPEC (added to its publishers; creates the file if needed)'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and not __fish_seen_subcommand_from show add allow-unattested remove pin init help" -f -a "allow-unattested" -d 'Accept files of PACKAGE that carry no provenance (unattested = "allow")'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and not __fish_seen_subcommand_from show add allow-unattested remove pin init help" -f -a "remove" -d 'Remove PACKAGE\'s entry'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and not __fish_seen_subcommand_from show add allow-unattested remove pin init help" -f -a "pin" -d 'Verify FILEs (sidecar provenance) and pin each package to the publisher its certificate proves'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and not __fish_seen_subcommand_from show add allow-unattested remove pin init help" -f -a "init" -d 'Write a new trust file (pyprov.toml here, or --trust-file) from a requirements file, a lock or the environment: every package is resolved and verified as `pyprov lock` does, each attested one pinned to the publisher its files prove, each unattested one listed with `unattested = "allow"` for review. Refuses to replace an existing file'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and not __fish_seen_subcommand_from show add allow-unattested remove pin init help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from show" -l format -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from show" -l trust-file -d 'The trust file to use instead of the nearest pyprov.toml above the working directory' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from show" -l locked -d 'Never write the trust file; a package with no publisher is an error instead of a pin. The default when the CI environment variable is set; --locked=false turns it off' -r -f -a "true\t''
false\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from add" -l environment -d 'Deployment environment the publisher must release from' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from add" -l trust-file -d 'The trust file to use instead of the nearest pyprov.toml above the working directory' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from add" -l locked -d 'Never write the trust file; a package with no publisher is an error instead of a pin. The default when the CI environment variable is set; --locked=false turns it off' -r -f -a "true\t''
false\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from allow-unattested" -l trust-file -d 'The trust file to use instead of the nearest pyprov.toml above the working directory' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from allow-unattested" -l locked -d 'Never write the trust file; a package with no publisher is an error instead of a pin. The default when the CI environment variable is set; --locked=false turns it off' -r -f -a "true\t''
false\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from allow-unattested" -s h -l help -d 'Print help'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from remove" -l trust-file -d 'The trust file to use instead of the nearest pyprov.toml above the working directory' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from remove" -l locked -d 'Never write the trust file; a package with no publisher is an error instead of a pin. The default when the CI environment variable is set; --locked=false turns it off' -r -f -a "true\t''
false\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from pin" -l trusted-root -d 'Sigstore trusted_root.json to verify against instead of the embedded production root' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from pin" -l trust-file -d 'The trust file to use instead of the nearest pyprov.toml above the working directory' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from pin" -l locked -d 'Never write the trust file; a package with no publisher is an error instead of a pin. The default when the CI environment variable is set; --locked=false turns it off' -r -f -a "true\t''
false\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from pin" -s h -l help -d 'Print help'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from init" -l trust-file -d 'The trust file to use instead of the nearest pyprov.toml above the working directory' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from init" -l locked -d 'Never write the trust file; a package with no publisher is an error instead of a pin. The default when the CI environment variable is set; --locked=false turns it off' -r -f -a "true\t''
false\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from init" -l from-environment -d 'The distributions installed in the target environment (--python, else VIRTUAL_ENV, else ./.venv), each looked up on the index as `NAME==VERSION`'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from init" -l force -d 'Replace an existing trust file'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show the effective policy and every package entry'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from help" -f -a "add" -d 'Allow PACKAGE to be published by SPEC (added to its publishers; creates the file if needed)'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from help" -f -a "allow-unattested" -d 'Accept files of PACKAGE that carry no provenance (unattested = "allow")'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove PACKAGE\'s entry'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from help" -f -a "pin" -d 'Verify FILEs (sidecar provenance) and pin each package to the publisher its certificate proves'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from help" -f -a "init" -d 'Write a new trust file (pyprov.toml here, or --trust-file) from a requirements file, a lock or the environment: every package is resolved and verified as `pyprov lock` does, each attested one pinned to the publisher its files prove, each unattested one listed with `unattested = "allow"` for review. Refuses to replace an existing file'
complete -c pyprov -n "__fish_pyprov_using_subcommand trust; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pyprov -n "__fish_pyprov_using_subcommand lock" -l python -d 'Python interpreter whose pip to use (default: the virtualenv in VIRTUAL_ENV, else the first `pip` on PATH that is not pyprov)' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand lock" -l trust-file -d 'The trust file to use instead of the nearest pyprov.toml above the working directory' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand lock" -l locked -d 'Never write the trust file; a package with no publisher is an error instead of a pin. The default when the CI environment variable is set; --locked=false turns it off' -r -f -a "true\t''
false\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand lock" -l provenance-index -d 'Look provenance up at this index\'s Integrity API by file name (for mirrors and private indexes that strip it); the sha256 binds it to the downloaded bytes' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand lock" -l unattested -d 'Files with no provenance: deny, warn or allow (overrides the trust file\'s policy)' -r -f -a "deny\t''
warn\t''
allow\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand lock" -l pyprov-cache-dir -d 'Where verified files are cached (default: $XDG_CACHE_HOME/pyprov or ~/.cache/pyprov). Not pip\'s --cache-dir: pip\'s caches stay off under pyprov' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand lock" -l trusted-root -d 'Sigstore trusted_root.json to verify against instead of the embedded production root' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand lock" -l format -d 'Output format of the verification report' -r -f -a "text\t''
json\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand lock" -l no-cache -d 'Do not read or write pyprov\'s cache of verified files'
complete -c pyprov -n "__fish_pyprov_using_subcommand lock" -l check -d 'Write nothing: re-judge every file of the lock (`-o FILE`, default pylock.toml) against what its index serves now; exit 1 naming each package whose proven publisher differs from the lock\'s attestation-identities, or whose file is gone or changed'
complete -c pyprov -n "__fish_pyprov_using_subcommand lock" -s h -l help -d 'Print help'
complete -c pyprov -n "__fish_pyprov_using_subcommand pip" -s h -l help -d 'Print help'
complete -c pyprov -n "__fish_pyprov_using_subcommand shim; and not __fish_seen_subcommand_from install remove help" -s h -l help -d 'Print help'
complete -c pyprov -n "__fish_pyprov_using_subcommand shim; and not __fish_seen_subcommand_from install remove help" -f -a "install" -d 'Link DIR/pip and DIR/pip3 to pyprov; a pip already there is kept as NAME.pyprov-backup'
complete -c pyprov -n "__fish_pyprov_using_subcommand shim; and not __fish_seen_subcommand_from install remove help" -f -a "remove" -d 'Remove the links from DIR and restore what they replaced'
complete -c pyprov -n "__fish_pyprov_using_subcommand shim; and not __fish_seen_subcommand_from install remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pyprov -n "__fish_pyprov_using_subcommand shim; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help'
complete -c pyprov -n "__fish_pyprov_using_subcommand shim; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c pyprov -n "__fish_pyprov_using_subcommand shim; and __fish_seen_subcommand_from help" -f -a "install" -d 'Link DIR/pip and DIR/pip3 to pyprov; a pip already there is kept as NAME.pyprov-backup'
complete -c pyprov -n "__fish_pyprov_using_subcommand shim; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove the links from DIR and restore what they replaced'
complete -c pyprov -n "__fish_pyprov_using_subcommand shim; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pyprov -n "__fish_pyprov_using_subcommand completions" -s h -l help -d 'Print help'
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l python -d 'Python interpreter whose pip to use (default: the virtualenv in VIRTUAL_ENV, else the first `pip` on PATH that is not pyprov)' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l trust-file -d 'The trust file to use instead of the nearest pyprov.toml above the working directory' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l locked -d 'Never write the trust file; a package with no publisher is an error instead of a pin. The default when the CI environment variable is set; --locked=false turns it off' -r -f -a "true\t''
false\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l provenance-index -d 'Look provenance up at this index\'s Integrity API by file name (for mirrors and private indexes that strip it); the sha256 binds it to the downloaded bytes' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l unattested -d 'Files with no provenance: deny, warn or allow (overrides the trust file\'s policy)' -r -f -a "deny\t''
warn\t''
allow\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l pyprov-cache-dir -d 'Where verified files are cached (default: $XDG_CACHE_HOME/pyprov or ~/.cache/pyprov). Not pip\'s --cache-dir: pip\'s caches stay off under pyprov' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l trusted-root -d 'Sigstore trusted_root.json to verify against instead of the embedded production root' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l format -d 'Output format of the verification report' -r -f -a "text\t''
json\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -s r -l requirement -d 'Install from a requirements file' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -s c -l constraint -d 'Constrain versions with a constraints file' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -s e -l editable -d 'Install a local project in editable mode' -r -f -a "(__fish_complete_directories)"
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -s i -l index-url -d 'Base URL of the package index pyprov fetches from' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l extra-index-url -d 'Extra index URLs, also fetched by pyprov' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -s f -l find-links -d 'Directory (sidecar provenance) or page of links' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l only-binary -d 'Do not use source distributions (:all: or names)' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l no-binary -d 'Do not use wheels (:all: or names)' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -s t -l target -d 'Install packages into DIR' -r -f -a "(__fish_complete_directories)"
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l prefix -d 'Installation prefix' -r -f -a "(__fish_complete_directories)"
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l python-version -d 'Python version the packages are for' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l platform -d 'Platform the packages are for' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l report -d 'Write pip\'s installation report to FILE' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -s d -l dest -d 'Where `pyprov download` puts the vetted files' -r -f -a "(__fish_complete_directories)"
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l no-cache -d 'Do not read or write pyprov\'s cache of verified files'
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l no-index -d 'Ignore the package index (only find-links)'
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l no-deps -d 'Do not install dependencies'
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -s U -l upgrade -d 'Upgrade packages to the newest available version'
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l pre -d 'Include pre-release and development versions'
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l user -d 'Install to the user site'
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l require-hashes -d 'Require a hash for every requirement'
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l no-build-isolation -d 'Build with the environment\'s own build dependencies'
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -l dry-run -d 'Verify everything, install nothing'
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -s q -l quiet -d 'Less output (repeatable), as pip'
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -s v -l verbose -d 'More output, with the evidence (repeatable)'
complete -c pyprov -n "__fish_pyprov_using_subcommand install" -s h -l help -d 'Print help'
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l python -d 'Python interpreter whose pip to use (default: the virtualenv in VIRTUAL_ENV, else the first `pip` on PATH that is not pyprov)' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l trust-file -d 'The trust file to use instead of the nearest pyprov.toml above the working directory' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l locked -d 'Never write the trust file; a package with no publisher is an error instead of a pin. The default when the CI environment variable is set; --locked=false turns it off' -r -f -a "true\t''
false\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l provenance-index -d 'Look provenance up at this index\'s Integrity API by file name (for mirrors and private indexes that strip it); the sha256 binds it to the downloaded bytes' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l unattested -d 'Files with no provenance: deny, warn or allow (overrides the trust file\'s policy)' -r -f -a "deny\t''
warn\t''
allow\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l pyprov-cache-dir -d 'Where verified files are cached (default: $XDG_CACHE_HOME/pyprov or ~/.cache/pyprov). Not pip\'s --cache-dir: pip\'s caches stay off under pyprov' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l trusted-root -d 'Sigstore trusted_root.json to verify against instead of the embedded production root' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l format -d 'Output format of the verification report' -r -f -a "text\t''
json\t''"
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -s r -l requirement -d 'Install from a requirements file' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -s c -l constraint -d 'Constrain versions with a constraints file' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -s e -l editable -d 'Install a local project in editable mode' -r -f -a "(__fish_complete_directories)"
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -s i -l index-url -d 'Base URL of the package index pyprov fetches from' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l extra-index-url -d 'Extra index URLs, also fetched by pyprov' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -s f -l find-links -d 'Directory (sidecar provenance) or page of links' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l only-binary -d 'Do not use source distributions (:all: or names)' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l no-binary -d 'Do not use wheels (:all: or names)' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -s t -l target -d 'Install packages into DIR' -r -f -a "(__fish_complete_directories)"
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l prefix -d 'Installation prefix' -r -f -a "(__fish_complete_directories)"
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l python-version -d 'Python version the packages are for' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l platform -d 'Platform the packages are for' -r
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l report -d 'Write pip\'s installation report to FILE' -r -F
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -s d -l dest -d 'Where `pyprov download` puts the vetted files' -r -f -a "(__fish_complete_directories)"
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l no-cache -d 'Do not read or write pyprov\'s cache of verified files'
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l no-index -d 'Ignore the package index (only find-links)'
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l no-deps -d 'Do not install dependencies'
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -s U -l upgrade -d 'Upgrade packages to the newest available version'
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l pre -d 'Include pre-release and development versions'
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l user -d 'Install to the user site'
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l require-hashes -d 'Require a hash for every requirement'
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l no-build-isolation -d 'Build with the environment\'s own build dependencies'
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -l dry-run -d 'Verify everything, install nothing'
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -s q -l quiet -d 'Less output (repeatable), as pip'
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -s v -l verbose -d 'More output, with the evidence (repeatable)'
complete -c pyprov -n "__fish_pyprov_using_subcommand download" -s h -l help -d 'Print help'
complete -c pyprov -n "__fish_pyprov_using_subcommand help; and not __fish_seen_subcommand_from verify inspect trust lock pip shim completions install download help" -f -a "verify" -d 'Verify files against their provenance, and the signer against an expected publisher'
complete -c pyprov -n "__fish_pyprov_using_subcommand help; and not __fish_seen_subcommand_from verify inspect trust lock pip shim completions install download help" -f -a "inspect" -d 'Show what an attestation, provenance object or bundle claims, without verifying it'
complete -c pyprov -n "__fish_pyprov_using_subcommand help; and not __fish_seen_subcommand_from verify inspect trust lock pip shim completions install download help" -f -a "trust" -d 'Keep the trust file (pyprov.toml): who may publish each package, what happens to unattested files, trust on first use'
complete -c pyprov -n "__fish_pyprov_using_subcommand help; and not __fish_seen_subcommand_from verify inspect trust lock pip shim completions install download help" -f -a "lock" -d 'Write a pylock.toml (PEP 751) of verified files, recording the publisher each file\'s certificate proved (`attestation-identities`); `--check` re-judges an existing lock'
complete -c pyprov -n "__fish_pyprov_using_subcommand help; and not __fish_seen_subcommand_from verify inspect trust lock pip shim completions install download help" -f -a "pip" -d 'Run pip through pyprov: `install` and `download` are verified; `wheel`, `lock`, `index`, `search` and `list --outdated` are refused (they fetch around the gate); every other pip command runs the real pip unchanged (what the `pip` links made by `shim install` do)'
complete -c pyprov -n "__fish_pyprov_using_subcommand help; and not __fish_seen_subcommand_from verify inspect trust lock pip shim completions install download help" -f -a "shim" -d 'Install or remove `pip`/`pip3` links to pyprov in a directory (a virtualenv\'s bin/, /usr/local/bin in an image)'
complete -c pyprov -n "__fish_pyprov_using_subcommand help; and not __fish_seen_subcommand_from verify inspect trust lock pip shim completions install download help" -f -a "completions" -d 'Print shell completions'
complete -c pyprov -n "__fish_pyprov_using_subcommand help; and not __fish_seen_subcommand_from verify inspect trust lock pip shim completions install download help" -f -a "install" -d 'Install like `pip install`, verifying every file before pip reads a byte of it'
complete -c pyprov -n "__fish_pyprov_using_subcommand help; and not __fish_seen_subcommand_from verify inspect trust lock pip shim completions install download help" -f -a "download" -d 'Download like `pip download -d DIR`, keeping only verified files'
complete -c pyprov -n "__fish_pyprov_using_subcommand help; and not __fish_seen_subcommand_from verify inspect trust lock pip shim completions install download help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pyprov -n "__fish_pyprov_using_subcommand help; and __fish_seen_subcommand_from trust" -f -a "show" -d 'Show the effective policy and every package entry'
complete -c pyprov -n "__fish_pyprov_using_subcommand help; and __fish_seen_subcommand_from trust" -f -a "add" -d 'Allow PACKAGE to be published by SPEC (added to its publishers; creates the file if needed)'
complete -c pyprov -n "__fish_pyprov_using_subcommand help; and __fish_seen_subcommand_from trust" -f -a "allow-unattested" -d 'Accept files of PACKAGE that carry no provenance (unattested = "allow")'
complete -c pyprov -n "__fish_pyprov_using_subcommand help; and __fish_seen_subcommand_from trust" -f -a "remove" -d 'Remove PACKAGE\'s entry'
complete -c pyprov -n "__fish_pyprov_using_subcommand help; and __fish_seen_subcommand_from trust" -f -a "pin" -d 'Verify FILEs (sidecar provenance) and pin each package to the publisher its certificate proves'
complete -c pyprov -n "__fish_pyprov_using_subcommand help; and __fish_seen_subcommand_from trust" -f -a "init" -d 'Write a new trust file (pyprov.toml here, or --trust-file) from a requirements file, a lock or the environment: every package is resolved and verified as `pyprov lock` does, each attested one pinned to the publisher its files prove, each unattested one listed with `unattested = "allow"` for review. Refuses to replace an existing file'
complete -c pyprov -n "__fish_pyprov_using_subcommand help; and __fish_seen_subcommand_from shim" -f -a "install" -d 'Link DIR/pip and DIR/pip3 to pyprov; a pip already there is kept as NAME.pyprov-backup'
complete -c pyprov -n "__fish_pyprov_using_subcommand help; and __fish_seen_subcommand_from shim" -f -a "remove" -d 'Remove the links from DIR and restore what they replaced'
