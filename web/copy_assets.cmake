# Copies the web page's files into ROOT (see web/CMakeLists.txt): ours from
# SOURCE, and the parts of the npm packages in MODULES the page uses.
file(REMOVE_RECURSE ${ROOT})
file(MAKE_DIRECTORY ${ROOT}/nhsuk ${ROOT}/assets/images ${ROOT}/chart)
file(GLOB ours ${SOURCE}/*)
file(COPY ${ours} DESTINATION ${ROOT})

set(nhsuk ${MODULES}/nhsuk-frontend/dist/nhsuk)
file(READ ${nhsuk}/nhsuk-frontend.min.css css)
# The Frutiger web fonts live on assets.nhs.uk, not in the package: drop
# their @font-face rules (the stack falls back to Arial), and point the
# icons at where they are served.
string(REGEX REPLACE "@font-face{[^}]*}" "" css "${css}")
string(REPLACE "url(/assets/" "url(/audit/assets/" css "${css}")
string(REGEX REPLACE "/\\*# sourceMappingURL=[^*]*\\*/" "" css "${css}")
if(css MATCHES "https?://")
  message(FATAL_ERROR "nhsuk-frontend's CSS still names a remote URL")
endif()
file(WRITE ${ROOT}/nhsuk/nhsuk-frontend.min.css "${css}")

file(READ ${nhsuk}/nhsuk-frontend.min.js js)
string(REGEX REPLACE "//# sourceMappingURL=[^\n]*" "" js "${js}")
file(WRITE ${ROOT}/nhsuk/nhsuk-frontend.min.js "${js}")
file(GLOB icons ${nhsuk}/assets/images/*.svg ${nhsuk}/assets/images/favicon.ico)
file(COPY ${icons} DESTINATION ${ROOT}/assets/images)

file(READ ${MODULES}/chart.js/dist/chart.umd.min.js chart)
string(REGEX REPLACE "//# sourceMappingURL=[^\n]*" "" chart "${chart}")
file(WRITE ${ROOT}/chart/chart.umd.min.js "${chart}")
