# Writes OUT (a header defining IFX_GIT_REVISION) from `git rev-parse` in SOURCE_DIR, touching it
# only when the revision changed, so a build after a commit names the new one and nothing else
# recompiles. Run by the ifx_git_revision target on every build.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE revision OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE failed)
if(failed OR NOT revision)
  set(revision unknown)
endif()
file(WRITE ${OUT}.new "#define IFX_GIT_REVISION \"${revision}\"\n")
configure_file(${OUT}.new ${OUT} COPYONLY)
