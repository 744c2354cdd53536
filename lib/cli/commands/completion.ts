/**
 * `kubexec completion bash|zsh|fish|powershell`: prints a completion script for the shell. The
 * scripts complete nothing themselves: they hand the words to the hidden `__complete` command
 * (see `complete.ts`), which knows the commands, the flags, the kubeconfig's contexts and the
 * cluster's namespaces and pods.
 *
 * @module
 */
import type { Command } from "../command.ts";
import { UsageError } from "../command.ts";
import { writeText } from "../io.ts";
import { COMPLETION_SHELLS } from "./complete.ts";

/** The script for each shell. */
export const COMPLETION_SCRIPTS: Record<(typeof COMPLETION_SHELLS)[number], string> = {
  bash: `# bash completion for kubexec                              -*- shell-script -*-
#
# Load into the current shell:  source <(kubexec completion bash)
# Load in every new shell:      kubexec completion bash > ~/.local/share/bash-completion/completions/kubexec
#
# Candidates come from "kubexec __complete -- WORD... CURRENT": one per line (a tab starts a
# description), then ":DIRECTIVE" (bits: 1 error, 2 no space, 4 no file names).

# Rebuilds the words up to the cursor, joining "--flag" "=" "value" that bash splits at "=".
__kubexec_words() {
    words=()
    local i joined=0 word
    for (( i = 0; i <= COMP_CWORD; i++ )); do
        word=\${COMP_WORDS[i]}
        if [[ $word == "=" && \${#words[@]} -gt 0 && \${words[\${#words[@]}-1]} == --* ]]; then
            words[\${#words[@]}-1]+="="
            joined=1
        elif (( joined )); then
            words[\${#words[@]}-1]+="$word"
            joined=0
        else
            words+=("$word")
        fi
    done
    cword=$(( \${#words[@]} - 1 ))
    cur=\${words[cword]}
}

__kubexec_complete() {
    local cur cword out directive line
    local -a words
    __kubexec_words
    out=$("\${words[0]}" __complete -- "\${words[@]:1:cword}" 2>/dev/null) || return 0
    directive=\${out##*:}
    out=\${out%:*}
    [[ $directive =~ ^[0-9]+$ ]] || directive=0
    (( directive & 1 )) && return 0
    COMPREPLY=()
    while IFS='' read -r line; do
        [[ -n $line ]] && COMPREPLY+=("\${line%%$'\\t'*}")
    done <<< "$out"
    if (( \${#COMPREPLY[@]} == 0 )); then
        if (( (directive & 4) == 0 )); then
            compopt -o filenames 2>/dev/null
            while IFS='' read -r line; do COMPREPLY+=("$line"); done < <(compgen -f -- "$cur")
        fi
        return 0
    fi
    # bash replaces only the text after the last "=", so drop the "--flag=" part.
    if [[ $cur == *=* && $COMP_WORDBREAKS == *=* ]]; then
        local i
        for i in "\${!COMPREPLY[@]}"; do COMPREPLY[i]=\${COMPREPLY[i]#"\${cur%%=*}="}; done
    fi
    (( directive & 2 )) && compopt -o nospace 2>/dev/null
    return 0
}

complete -F __kubexec_complete kubexec
`,
  zsh: `#compdef kubexec
# zsh completion for kubexec
#
# Load into the current shell:  source <(kubexec completion zsh)
# Load in every new shell:      kubexec completion zsh > "\${fpath[1]}/_kubexec"
#
# Candidates come from "kubexec __complete -- WORD... CURRENT": one per line (a tab starts a
# description), then ":DIRECTIVE" (bits: 1 error, 2 no space, 4 no file names).

_kubexec() {
    local out directive line value description
    local -a lines candidates suffix
    out=$("\${words[1]}" __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
    lines=("\${(@f)out}")
    directive=\${lines[-1]#:}
    [[ $directive == <-> ]] || directive=0
    (( directive & 1 )) && return 1
    for line in "\${(@)lines[1,-2]}"; do
        [[ -z $line ]] && continue
        value=\${line%%$'\\t'*}
        value=\${value//:/\\\\:}
        if [[ $line == *$'\\t'* ]]; then
            description=\${line#*$'\\t'}
            candidates+=("$value:$description")
        else
            candidates+=("$value")
        fi
    done
    if (( \${#candidates} > 0 )); then
        (( directive & 2 )) && suffix=(-S '')
        _describe -t kubexec 'kubexec' candidates "\${suffix[@]}"
        return
    fi
    (( directive & 4 )) || _files
}

if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
    _kubexec "$@"
else
    compdef _kubexec kubexec
fi
`,
  fish: `# fish completion for kubexec
#
# Load into the current shell:  kubexec completion fish | source
# Load in every new shell:      kubexec completion fish > ~/.config/fish/completions/kubexec.fish
#
# Candidates come from "kubexec __complete -- WORD... CURRENT": one per line (a tab starts a
# description, as fish expects), then ":DIRECTIVE" (bits: 1 error, 2 no space, 4 no file names).

function __kubexec_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    set -l program $tokens[1]
    set -e tokens[1]
    # Quoted: an empty word being completed must still reach __complete as "".
    set -l out ($program __complete -- $tokens "$current" 2>/dev/null)
    or return
    set -l directive (string replace -r '^:' '' -- $out[-1])
    set -e out[-1]
    string match -qr '^[0-9]+$' -- $directive; or set directive 0
    if test (math "bitand($directive, 1)") -ne 0
        return
    end
    if test (count $out) -eq 0
        if test (math "bitand($directive, 4)") -eq 0
            __fish_complete_path "$current"
        end
        return
    end
    printf '%s\\n' $out
end

complete -c kubexec -e
complete -c kubexec -f -a '(__kubexec_complete)'
`,
  powershell: `# powershell completion for kubexec
#
# Load into the current shell:  kubexec completion powershell | Out-String | Invoke-Expression
# Load in every new shell:      add that line to $PROFILE
#
# Candidates come from "kubexec __complete -- WORD... CURRENT": one per line (a tab starts a
# description), then ":DIRECTIVE" (bits: 1 error, 2 no space, 4 no file names).

Register-ArgumentCompleter -CommandName 'kubexec' -Native -ScriptBlock {
    param($WordToComplete, $CommandAst, $CursorPosition)
    $elements = @($CommandAst.CommandElements |
        Where-Object { $_.Extent.StartOffset -lt $CursorPosition } |
        ForEach-Object { $_.Extent.Text })
    $program = $elements[0]
    $words = @($elements | Select-Object -Skip 1)
    if ($WordToComplete -eq '') {
        # Windows PowerShell and legacy argument passing drop empty arguments.
        if ($PSVersionTable.PSVersion.Major -lt 7 -or $PSNativeCommandArgumentPassing -eq 'Legacy') {
            $words += '""'
        } else {
            $words += ''
        }
    }
    $out = @(& $program __complete -- @words 2>$null)
    if ($out.Count -eq 0) { return }
    $directive = 0
    [int]::TryParse($out[-1].TrimStart(':'), [ref]$directive) | Out-Null
    if ($directive -band 1) { return }
    $found = $false
    foreach ($line in ($out | Select-Object -SkipLast 1)) {
        if ($line -eq '') { continue }
        $value, $description = $line -split "\`t", 2
        if (-not $description) { $description = $value }
        $found = $true
        [System.Management.Automation.CompletionResult]::new($value, $value, 'ParameterValue', $description)
    }
    if (-not $found -and ($directive -band 4)) {
        # Returning nothing would make PowerShell complete file names.
        ''
    }
}
`,
};

/**
 * The completion script for `shell`, or `undefined` for a shell kubexec has none for.
 *
 * @example
 * ```ts
 * import { completionScript } from "./completion.ts";
 * completionScript("bash")?.includes("complete -F __kubexec_complete kubexec"); // true
 * completionScript("tcsh"); // undefined
 * ```
 */
export function completionScript(shell: string): string | undefined {
  return COMPLETION_SHELLS.find((known) => known === shell) === undefined
    ? undefined
    : COMPLETION_SCRIPTS[shell as (typeof COMPLETION_SHELLS)[number]];
}

/** The `completion` command. */
export const completionCommand: Command = {
  name: "completion",
  short: "Output shell completion code for the specified shell (bash, zsh, fish, or powershell)",
  long: `Output shell completion code for the specified shell (bash, zsh, fish, or powershell).
The shell code must be evaluated to provide interactive completion of kubexec commands: command
names, flags, --context, --cluster and --user from the kubeconfig, and namespaces (-n), pods,
TYPE/NAME targets and containers (-c) from the cluster.

 Completion asks the cluster with the kubeconfig, context and namespace already typed on the
command line, and gives up silently after 5 seconds (or --request-timeout).`,
  usage: "completion SHELL [options]",
  examples: `  # Load completion into the current bash shell (needs bash 4.3 or later)
  source <(kubexec completion bash)

  # Install it for every bash shell
  kubexec completion bash > ~/.local/share/bash-completion/completions/kubexec

  # zsh: load now, or install into a directory of $fpath
  source <(kubexec completion zsh)
  kubexec completion zsh > "\${fpath[1]}/_kubexec"

  # fish
  kubexec completion fish > ~/.config/fish/completions/kubexec.fish

  # PowerShell (add the line to $PROFILE to keep it)
  kubexec completion powershell | Out-String | Invoke-Expression`,
  run: async ({ args, io }) => {
    if (args.length === 0) throw new UsageError("Shell not specified.");
    if (args.length > 1) throw new UsageError("Too many arguments. Expected only the shell type.");
    const script = completionScript(args[0]);
    if (script === undefined) throw new UsageError(`Unsupported shell type "${args[0]}".`);
    await writeText(io.stdout, script);
    return 0;
  },
};
