// The grid helpers' report page: "Add my location" fills the hidden lat/lng from the phone's position.
(function () {
  var button = document.getElementById("use-location");
  var state = document.getElementById("location-state");
  var form = document.getElementById("helper-report");
  if (!button || !form) { return; }
  if (!navigator.geolocation) { button.hidden = true; return; }
  button.addEventListener("click", function () {
    state.textContent = button.dataset.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.lat.value = pos.coords.latitude.toFixed(6);
      form.elements.lng.value = pos.coords.longitude.toFixed(6);
      state.textContent = button.dataset.located;
    }, function () { state.textContent = button.dataset.failed; }, { timeout: 10000 });
  });
})();
