# Fails when a visible string of the UI has no finished translation in a .ts file.
# Runs lupdate over the sources into a copy of the committed .ts (the committed file is never
# touched) and counts what lupdate had to leave unfinished: new strings, or changed ones.
#   cmake -DLUPDATE=... -DTS_FILE=... -DSOURCE_DIRS="dir|dir" -DWORK_DIR=... -P CheckTranslations.cmake
cmake_policy(SET CMP0007 NEW)
foreach(var LUPDATE TS_FILE SOURCE_DIRS WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "CheckTranslations: ${var} is not set")
  endif()
endforeach()
string(REPLACE "|" ";" SOURCE_DIRS "${SOURCE_DIRS}")
get_filename_component(ts_name "${TS_FILE}" NAME)
set(copy "${WORK_DIR}/check-${ts_name}")
file(MAKE_DIRECTORY "${WORK_DIR}")
file(COPY_FILE "${TS_FILE}" "${copy}")
execute_process(COMMAND "${LUPDATE}" -silent -locations none -no-obsolete ${SOURCE_DIRS} -ts "${copy}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "lupdate failed (${rc}): ${out}${err}")
endif()
file(READ "${copy}" ts)
# A ";" (from &amp; or &lt;) would split the CMake list of matches below: set it aside first.
string(REPLACE ";" "__SEMICOLON__" ts "${ts}")
string(REGEX MATCHALL "<message[^>]*>[ \t\r\n]*<source>[^<]*</source>[ \t\r\n]*(<comment>[^<]*</comment>[ \t\r\n]*)?<translation type=\"unfinished\"" missing "${ts}")
list(LENGTH missing count)
if(count GREATER 0)
  set(names "")
  foreach(m IN LISTS missing)
    string(REGEX REPLACE ".*<source>([^<]*)</source>.*" "\\1" s "${m}")
    string(REPLACE "__SEMICOLON__" ";" s "${s}")
    string(APPEND names "\n  ${s}")
  endforeach()
  message(FATAL_ERROR "${ts_name}: ${count} string(s) without a translation "
                      "(run `cmake --build <build> --target gh_ui_lupdate` and translate them):${names}")
endif()
message(STATUS "${ts_name}: every string is translated")
