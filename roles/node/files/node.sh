# /etc/profile.d/node.sh - shell environment for Pigsty nodes, installed by the node role.
# Changes here are overwritten on the next run of the node role (tag node_profile).

export EDITOR=vi
export PAGER=less
export MANPAGER="less -X"

# keep a long, shared shell history without consecutive duplicates
export HISTSIZE=65535
export HISTFILESIZE=65535
export HISTCONTROL=ignoredups
export HISTTIMEFORMAT="%F %T "

if [ -n "$BASH_VERSION" ]; then
  shopt -s histappend checkwinsize
  # a two-line prompt: time, user@host and directory, then the prompt sign
  PS1='\n\[\e[0;36m\][\D{%m-%d %T}] \[\e[1;31m\]\u\[\e[0;33m\]@\H\[\e[0;32m\]:\w\n\[\e[1;35m\]\$ \[\e[0m\]'
fi

# drop repeated entries from PATH, keeping the first occurrence
if [ -n "$PATH" ]; then
  __p=
  __old_ifs=$IFS; IFS=:
  for __d in $PATH; do
    case ":$__p:" in *":$__d:"*) ;; *) __p=${__p:+$__p:}$__d ;; esac
  done
  IFS=$__old_ifs
  PATH=$__p
  unset __p __d __old_ifs
fi

# everyday aliases
alias ll='ls -lh --color=auto'
alias la='ls -lha --color=auto'
alias l='ls -lh --color=auto'
alias grep='grep --color=auto'
alias ..='cd ..'
alias ...='cd ../..'
alias h='history'
alias q='exit'
alias py='python3'

# services and logs
alias s='systemctl'
alias st='sudo systemctl status'
alias sr='sudo systemctl restart'
alias ju='journalctl -u'
alias je='journalctl -xe'

# switching to the service accounts
alias sd='sudo su - dba'
alias sp='sudo su - postgres'
alias sa='sudo su - root'

# quick looks at the local exporters and time sync
alias node-mt="curl -s localhost:9100/metrics | grep -v '^#' | grep '^node_'"
alias ntps='sudo chronyc -a makestep'
