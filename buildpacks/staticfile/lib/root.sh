# Shared by bin/finalize and bin/release: which directory of the app is served.
# A Staticfile's `root: DIR` (Cloud Foundry's key) names it; else public/ when it has an index.html; else the app's root.
# Prints the directory relative to the app ("" for the root); fails with a message for a root that is not served.
staticfile_root() {
  local build_dir=$1 root=""
  if [ -f "$build_dir/Staticfile" ]; then
    root=$(sed -n 's/^root:[[:space:]]*//p' "$build_dir/Staticfile" | head -n 1 | tr -d "\r\"'" | sed 's/[[:space:]]*$//; s|/*$||; s|^\./||')
    if [ -n "$root" ]; then
      case "/$root/" in
        *"/../"*|//*) echo "staticfile: Staticfile's root: $root must be a directory inside the app" >&2; return 1 ;;
      esac
      if [ ! -d "$build_dir/$root" ] || [ -L "$build_dir/$root" ]; then
        echo "staticfile: Staticfile's root: $root is not a directory of the app" >&2
        return 1
      fi
      printf '%s\n' "$root"
      return 0
    fi
  fi
  if [ -f "$build_dir/public/index.html" ]; then echo public; else echo ""; fi
}
