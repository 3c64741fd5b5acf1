# decode.cmake - the capture decoder (decode.c, pcapfile.c), the frame and
# pcap builder its tests and fuzz seeds share (framegen.c), its command
# line sc-decode, and, with -DSOCKCHECK_FUZZ=ON and clang, the libFuzzer
# target fuzz_decode.  Included by harness/CMakeLists.txt once the
# sockcheck_harness library exists.
#
# Fuzzing by hand (seeds: a handful of small captures written by
# fuzz_decode_seeds, plus any golden captures):
#   cmake -B build-fuzz -DCMAKE_C_COMPILER=clang -DSOCKCHECK_FUZZ=ON
#   cmake --build build-fuzz --target fuzz_decode fuzz_decode_seeds
#   build-fuzz/harness/fuzz_decode_seeds corpus && cp captures/*/*.pcap corpus/
#   build-fuzz/harness/fuzz_decode -max_total_time=600 corpus
# With SOCKCHECK_FUZZ, ctest also runs a 30-second smoke run (label fuzz).

target_sources(sockcheck_harness PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/decode.c
  ${CMAKE_CURRENT_LIST_DIR}/pcapfile.c
  ${CMAKE_CURRENT_LIST_DIR}/framegen.c
  ${CMAKE_CURRENT_LIST_DIR}/figure.c)
target_include_directories(sockcheck_harness PUBLIC ${CMAKE_CURRENT_LIST_DIR})

add_executable(sc-decode ${CMAKE_CURRENT_LIST_DIR}/sc-decode.c)
target_link_libraries(sc-decode PRIVATE sockcheck_harness)

if(SOCKCHECK_FUZZ)
  if(CMAKE_C_COMPILER_ID MATCHES "Clang")
    # The decoder is compiled into the target itself, instrumented; the
    # rest of the harness (sockets, namespaces) has nothing to fuzz.
    set(_sc_fuzz_flags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
        -fno-omit-frame-pointer)
    add_executable(fuzz_decode
      ${CMAKE_CURRENT_LIST_DIR}/fuzz_decode.c
      ${CMAKE_CURRENT_LIST_DIR}/decode.c
      ${CMAKE_CURRENT_LIST_DIR}/pcapfile.c)
    target_compile_options(fuzz_decode PRIVATE ${_sc_fuzz_flags})
    target_link_options(fuzz_decode PRIVATE ${_sc_fuzz_flags})

    add_executable(fuzz_decode_seeds ${CMAKE_CURRENT_LIST_DIR}/fuzz_decode.c
      ${CMAKE_CURRENT_LIST_DIR}/framegen.c ${CMAKE_CURRENT_LIST_DIR}/pcapng.c)
    target_compile_definitions(fuzz_decode_seeds PRIVATE SC_FUZZ_SEEDGEN)
    target_include_directories(fuzz_decode_seeds PRIVATE ${CMAKE_CURRENT_LIST_DIR})

    set(_sc_corpus ${CMAKE_CURRENT_BINARY_DIR}/fuzz_decode_corpus)
    add_test(NAME fuzz_decode/seeds COMMAND fuzz_decode_seeds ${_sc_corpus})
    set_tests_properties(fuzz_decode/seeds PROPERTIES
      FIXTURES_SETUP fuzz_decode_corpus LABELS fuzz TIMEOUT 30)
    add_test(NAME fuzz_decode/smoke
      COMMAND fuzz_decode -max_total_time=30 -timeout=10 -rss_limit_mb=2048 ${_sc_corpus})
    set_tests_properties(fuzz_decode/smoke PROPERTIES
      FIXTURES_REQUIRED fuzz_decode_corpus LABELS fuzz TIMEOUT 120)
  else()
    message(WARNING "SOCKCHECK_FUZZ needs clang (-DCMAKE_C_COMPILER=clang): fuzz_decode not built")
  endif()
endif()

# The lecture scenarios and their gallery (scripts/lecture runs it); the
# figures (figure.c) are part of the library, drawn from a capture alone.
target_link_libraries(sockcheck_harness PUBLIC m)
add_executable(sc-lecture ${CMAKE_CURRENT_LIST_DIR}/sc-lecture.c)
target_link_libraries(sc-lecture PRIVATE sockcheck_harness)
