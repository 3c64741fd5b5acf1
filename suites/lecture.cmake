# lecture.cmake - the lecture evidence (scripts/lecture, issue 12) checked
# with the tools lecturers use (see check-lecture.sh), and the last steps
# of scripts/regen-captures on a scratch repository (check-regen.sh).
# Included by suites/CMakeLists.txt.
add_executable(pcap_count pcap_count.c)
target_link_libraries(pcap_count PRIVATE PkgConfig::PCAP)

set(SC_LECTURE ${CMAKE_CURRENT_SOURCE_DIR}/check-lecture.sh)
add_test(NAME lecture/run COMMAND ${SC_LECTURE} ${PROJECT_BINARY_DIR} run)
set_tests_properties(lecture/run PROPERTIES FIXTURES_SETUP lecture TIMEOUT 120
  SKIP_RETURN_CODE 77 LABELS "lecture" RUN_SERIAL ON)
foreach(check comments drops names capinfos libpcap svg marks gallery lua)
  add_test(NAME lecture/${check} COMMAND ${SC_LECTURE} ${PROJECT_BINARY_DIR} ${check})
  set_tests_properties(lecture/${check} PROPERTIES FIXTURES_REQUIRED lecture TIMEOUT 120
    SKIP_RETURN_CODE 77 LABELS "lecture")
endforeach()

add_test(NAME regen_captures/install_and_report
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check-regen.sh ${PROJECT_BINARY_DIR})
set_tests_properties(regen_captures/install_and_report PROPERTIES TIMEOUT 30 LABELS "unit")

# The pcapng writer against our reader and libpcap's (unit tests).
sc_add_suite(test_pcapng SOURCES test_pcapng.c LABELS unit decode TIMEOUT 30)
target_link_libraries(test_pcapng PRIVATE PkgConfig::PCAP)
