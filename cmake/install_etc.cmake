# Run by cmake --install (install.cmake sets UIPSEC_ETC and UIPSEC_DIST).
# The folders are strongSwan's /etc/swanctl ones; those that hold private
# keys are 0700, as Debian's strongswan-swanctl has them. swanctl.conf is
# 0600 (it will hold pre-shared keys; the daemon warns about readable
# secrets) and uipsecd.conf 0644 (no secrets); neither replaces an
# existing file (a reinstall keeps the site's configuration).
set(etc "$ENV{DESTDIR}${UIPSEC_ETC}")
file(MAKE_DIRECTORY "${etc}")
foreach(d conf.d x509 x509ca x509crl pubkey)
  file(MAKE_DIRECTORY "${etc}/${d}")
  file(CHMOD "${etc}/${d}" DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
       GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endforeach()
foreach(d private rsa ecdsa pkcs8)
  file(MAKE_DIRECTORY "${etc}/${d}")
  file(CHMOD "${etc}/${d}" DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
endforeach()
foreach(f swanctl.conf uipsecd.conf)
  if(f STREQUAL "swanctl.conf")
    set(perm OWNER_READ OWNER_WRITE)
  else()
    set(perm OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endif()
  if(EXISTS "${etc}/${f}")
    message(STATUS "Keeping: ${etc}/${f}")
  else()
    message(STATUS "Installing: ${etc}/${f}")
    file(COPY "${UIPSEC_DIST}/${f}" DESTINATION "${etc}" FILE_PERMISSIONS ${perm})
  endif()
endforeach()
